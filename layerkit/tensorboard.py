"""TensorBoard event files without TensorFlow: a writer and a reader of scalar summaries, and Keras's
``TensorBoard`` callback on top of them (re-exported as ``layerkit.callbacks.TensorBoard``).

An event file is a sequence of records (TFRecord framing: length, masked CRC-32C of the length, data, masked
CRC-32C of the data); each record is an ``Event`` protocol buffer. Only the few fields scalars need are written,
with a hand-made encoder: ``wall_time`` (1, double), ``step`` (2, int64), ``file_version`` (3, string) and
``summary`` (5) holding ``Summary.Value``s with ``tag`` (1, string) and ``simple_value`` (2, float), which
TensorBoard shows as scalars. No dependency is needed; ``tensorboard`` itself is only needed to look at them.

Example:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with EventFileWriter(folder) as writer:
    ...     writer.add_scalar("loss", 0.5, step=0)
    ...     writer.add_scalar("loss", 0.25, step=1)
    >>> read_scalars(writer.path)["loss"]
    [(0, 0.5), (1, 0.25)]
"""
import os
import socket
import struct
import time

import numpy as np

__all__ = ["crc32c", "EventFileWriter", "read_events", "read_scalars", "TensorBoard"]


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1   # Castagnoli polynomial, reflected
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli) of ``data`` bytes. Example: ``crc32c(b"123456789") == 0xE3069283``."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


# ------------------------------------------------------------------------------------------- protocol buffers
def _varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        bits, value = value & 0x7F, value >> 7
        out.append(bits | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number, wire_type, payload):
    return _varint(number << 3 | wire_type) + payload


def _bytes_field(number, data):
    return _field(number, 2, _varint(len(data)) + data)


def _event(wall_time, step=None, file_version=None, scalars=()):
    out = _field(1, 1, struct.pack("<d", wall_time))
    if step is not None:
        out += _field(2, 0, _varint(int(step)))
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if scalars:
        values = b"".join(_bytes_field(1, _bytes_field(1, tag.encode()) + _field(2, 5, struct.pack("<f", value)))
                          for tag, value in scalars)
        out += _bytes_field(5, values)
    return out


def _record(data):
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", _masked(crc32c(length))) + data + struct.pack("<I", _masked(crc32c(data)))


class EventFileWriter:
    """Appends scalar summaries to a new event file in ``log_dir`` (``events.out.tfevents.<time>.<host>...``)."""

    _count = 0

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        EventFileWriter._count += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}."
                f"{EventFileWriter._count}.v2")
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self._file.write(_record(_event(time.time(), step=0, file_version="brain.Event:2")))
        self._file.flush()

    def add_scalar(self, tag, value, step):
        """Writes ``value`` under ``tag`` at ``step`` (one event, flushed so TensorBoard sees it at once)."""
        self._file.write(_record(_event(time.time(), step=step, scalars=[(str(tag), float(value))])))
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ------------------------------------------------------------------------------------------- reading
def _read_varint(data, position):
    shift = value = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position


def _fields(data):
    """(number, wire_type, value) of a message: ints for varints, bytes for the rest."""
    position = 0
    while position < len(data):
        key, position = _read_varint(data, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _read_varint(data, position)
        elif wire == 1:
            value, position = data[position:position + 8], position + 8
        elif wire == 5:
            value, position = data[position:position + 4], position + 4
        elif wire == 2:
            size, position = _read_varint(data, position)
            value, position = data[position:position + size], position + size
        else:
            raise ValueError(f"event file: unsupported protocol buffer wire type {wire} (field {number})")
        yield number, wire, value


def _scalar_value(value_message):
    """(tag, number) of a ``Summary.Value`` holding a scalar: ``simple_value`` or a one-number float tensor (the
    form ``tf.summary.scalar`` writes); None for other summaries."""
    tag, number = None, None
    for field, wire, value in _fields(value_message):
        if field == 1 and wire == 2:
            tag = value.decode()
        elif field == 2 and wire == 5:
            number = struct.unpack("<f", value)[0]
        elif field == 8 and wire == 2:      # TensorProto: dtype (1), float_val (5) or tensor_content (4)
            dtype, content, floats, doubles = None, None, [], []
            for f, w, v in _fields(value):
                if f == 1:
                    dtype = v
                elif f == 4:
                    content = v
                elif f == 5:
                    floats += list(np.frombuffer(v, "<f4")) if w == 2 else [struct.unpack("<f", v)[0]]
                elif f == 6:
                    doubles += list(np.frombuffer(v, "<f8")) if w == 2 else [struct.unpack("<d", v)[0]]
            if floats or doubles:
                number = float((floats or doubles)[0])
            elif content is not None and dtype in (1, 2):
                number = float(np.frombuffer(content, "<f4" if dtype == 1 else "<f8")[0])
    return None if tag is None or number is None else (tag, float(number))


def read_events(path):
    """Every event of the file at ``path`` as a dict (``wall_time``, ``step``, ``file_version``, ``scalars``);
    checks both checksums of every record."""
    with open(path, "rb") as f:
        data = f.read()
    events, position = [], 0
    while position < len(data):
        header = data[position:position + 8]
        if len(header) < 8:
            raise ValueError(f"{path}: truncated record header at byte {position}")
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[position + 8:position + 12])
        payload = data[position + 12:position + 12 + length]
        (payload_crc,) = struct.unpack("<I", data[position + 12 + length:position + 16 + length])
        if _masked(crc32c(header)) != length_crc or _masked(crc32c(payload)) != payload_crc:
            raise ValueError(f"{path}: corrupt record at byte {position} (checksum mismatch)")
        position += 16 + length
        event = {"step": 0, "scalars": []}
        for field, wire, value in _fields(payload):
            if field == 1 and wire == 1:
                event["wall_time"] = struct.unpack("<d", value)[0]
            elif field == 2:
                event["step"] = value
            elif field == 3:
                event["file_version"] = value.decode()
            elif field == 5:
                event["scalars"] = [s for s in (_scalar_value(v) for n, _, v in _fields(value) if n == 1) if s]
        events.append(event)
    return events


def read_scalars(path):
    """``{tag: [(step, value), ...]}`` of the scalar summaries in the event file at ``path``."""
    scalars = {}
    for event in read_events(path):
        for tag, value in event["scalars"]:
            scalars.setdefault(tag, []).append((event["step"], value))
    return scalars


# ------------------------------------------------------------------------------------------- the callback
def _callback_base():
    from .callbacks import Callback
    return Callback


class TensorBoard(_callback_base()):
    """Writes the logs of every epoch as TensorBoard scalars (``epoch_loss``, ``epoch_<metric>``,
    ``epoch_learning_rate``) under ``log_dir/train`` and ``log_dir/validation`` (the ``val_`` entries), as Keras 3
    does; ``update_freq='batch'`` or an int also writes ``batch_<name>`` every that many training batches.

    Only scalars are written: ``histogram_freq``, ``write_graph``, ``write_images``, ``embeddings_freq`` and
    ``profile_batch`` are accepted when they leave their feature off, and refused otherwise.

    Example:
        >>> import tempfile
        >>> callback = TensorBoard(log_dir=tempfile.mkdtemp())
        >>> callback.update_freq
        'epoch'
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        for key, value in (("histogram_freq", histogram_freq), ("write_images", write_images),
                           ("embeddings_freq", embeddings_freq), ("profile_batch", profile_batch),
                           ("embeddings_metadata", embeddings_metadata)):
            if value not in (0, False, None):
                raise ValueError(f"TensorBoard: {key}={value!r} is not supported by layerkit (scalars only)")
        if update_freq not in ("epoch", "batch") and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(f"TensorBoard: expected update_freq 'epoch', 'batch' or a positive int, received "
                             f"{update_freq!r}")
        self.log_dir, self.update_freq = str(log_dir), update_freq
        self.write_graph, self.write_steps_per_second = write_graph, bool(write_steps_per_second)
        self._writers, self._batches, self._epoch_start = {}, 0, None

    def _writer(self, which):
        if which not in self._writers:
            self._writers[which] = EventFileWriter(os.path.join(self.log_dir, which))
        return self._writers[which]

    def on_train_begin(self, logs=None):
        self._batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._epoch_batches = time.time(), 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        self._epoch_batches = getattr(self, "_epoch_batches", 0) + 1
        every = 1 if self.update_freq == "batch" else self.update_freq
        if self.update_freq != "epoch" and self._batches % every == 0:
            for name, value in (logs or {}).items():
                if np.ndim(value) == 0:
                    self._writer("train").add_scalar(f"batch_{name}", value, self._batches)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second and self._epoch_start is not None:
            train["steps_per_second"] = self._epoch_batches / max(time.time() - self._epoch_start, 1e-9)
        for which, values in (("train", train), ("validation", validation)):
            for name, value in values.items():
                if np.ndim(value) == 0:
                    self._writer(which).add_scalar(f"epoch_{name}", value, epoch)

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
