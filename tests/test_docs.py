"""Every ```python block in README.md and docs/*.md runs (blocks of one file share a namespace, in order)."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("path", DOCUMENTS, ids=[str(p.relative_to(ROOT)) for p in DOCUMENTS])
def test_code_blocks_run(path, capsys):
    blocks = BLOCK.findall(path.read_text())
    namespace = {"__name__": f"doc_{path.stem}"}
    for k, source in enumerate(blocks):
        exec(compile(source, f"{path.name} block {k + 1}", "exec"), namespace)  # noqa: S102
