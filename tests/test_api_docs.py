"""docs/api.md is what docs/make_api.py generates now, and every public name has a docstring."""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _make_api():
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_a_docstring():
    missing = _make_api().missing_docstrings()
    assert not missing, f"{len(missing)} public names have no docstring: {', '.join(missing)}"


def test_api_page_is_up_to_date():
    make_api = _make_api()
    assert make_api.OUTPUT.read_text() == make_api.render(), (
        "docs/api.md is out of date: run `python docs/make_api.py` and commit the result")


def test_every_public_module_is_listed():
    make_api = _make_api()
    import layerkit
    import layerkit_backend

    for package in (layerkit, layerkit_backend):
        for name in package.__all__:
            value = getattr(package, name)
            if type(value).__name__ == "module":
                assert value.__name__ in make_api.MODULES, f"docs/make_api.py MODULES lacks {value.__name__}"


def _slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    import re

    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_relative_links_in_docs_resolve():
    import re

    broken = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", page.read_text()):
            if target.startswith(("http:", "https:", "mailto:")):
                continue
            path = (page.parent / target) if target else page
            if not path.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and path.suffix == ".md":
                headings = re.findall(r"^#+ (.*)$", path.read_text(), re.M)
                if anchor not in {_slug(h) for h in headings}:
                    broken.append(f"{page.name}: {target}#{anchor}")
    assert not broken, f"broken links in docs: {broken}"
