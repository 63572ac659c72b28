"""Export PyTorch Sequential models to ratesim model files and read them back.

The file format is described in src/docs/format.md (format version 1): a safetensors container whose
``__metadata__`` stores the ANN graph as a JSON string. This module needs only torch, numpy and the standard
library, so it runs where the ``safetensors`` package is not installed.

Public API:

- ``ClampFloor(timesteps, levels)``: the VR quantizer Q(x) = floor(L * clamp(x, 0, T/L)) / L with a
  straight-through gradient, for training.
- ``InputExpansion(timesteps, levels, offsets)``: the ICE input encoder, computed exactly from pixel bytes.
- ``export(model, input_shape, path, samples=None, classes=None)``: write a model file.
- ``load(path)``: read a model file into ``(graph, tensors, samples)``.
"""

import json
import math
import struct
from fractions import Fraction

import numpy as np
import torch
from torch import nn

FORMAT_NAME = "ratesim"
FORMAT_VERSION = "1"

# The only input scale the VR and ICE encoders accept: x = b / 255 for a pixel byte b.
PIXEL_SCALE = 1 / 255

# Largest header the writer produces and the reader accepts; a model header is a few kilobytes.
MAX_HEADER_BYTES = 100 * 1024 * 1024

MAX_NODE_NAME_CHARS = 128

_DTYPES = {
    "F32": np.dtype("<f4"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "U8": np.dtype("u1"),
}


class ExportError(ValueError):
    """A model that cannot be written as a ratesim model file."""


class ModelFileError(ValueError):
    """A file that is not a valid ratesim model file."""


# ---------------------------------------------------------------------------------------------------------------
# Quantizer and encoder modules
# ---------------------------------------------------------------------------------------------------------------


class _FloorStraightThrough(torch.autograd.Function):
    """floor(x) whose backward pass is the incoming gradient clipped to [-1, 1] (hardtanh)."""

    @staticmethod
    def forward(ctx, x):
        return torch.floor(x)

    @staticmethod
    def backward(ctx, grad_output):
        return torch.clamp(grad_output, -1.0, 1.0)


def _check_timesteps_levels(timesteps, levels):
    if isinstance(timesteps, bool) or not isinstance(timesteps, int) or timesteps < 1:
        raise ValueError(f"timesteps={timesteps!r} is invalid: it must be an integer >= 1")
    if isinstance(levels, bool) or not isinstance(levels, (int, float)):
        raise ValueError(f"levels={levels!r} is invalid: it must be a number > 0")
    if not math.isfinite(levels) or levels <= 0:
        raise ValueError(f"levels={levels!r} is invalid: it must be a finite number > 0")


def _json_number(value):
    """Return an int for integral floats, so that the graph stores "levels": 4 rather than 4.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class ClampFloor(nn.Module):
    """VR quantizer Q(x) = floor(L * clamp(x, 0, T/L)) / L, with values {0, 1/L, ..., T/L}.

    The forward pass computes floor(clamp(L * x, 0, T)) / L. For L > 0 this is the same function, but the count is
    clamped at the integer T, so the top level does not depend on how T/L rounds in float32. Backward: the floor passes the incoming
    gradient clipped to [-1, 1] (straight-through estimator), and the clamp has the ordinary zero gradient outside
    [0, T/L].
    """

    def __init__(self, timesteps, levels):
        super().__init__()
        _check_timesteps_levels(timesteps, levels)
        self.timesteps = timesteps
        self.levels = levels

    def forward(self, x):
        scaled = torch.clamp(x * self.levels, 0.0, float(self.timesteps))
        return _FloorStraightThrough.apply(scaled) / self.levels

    def extra_repr(self):
        return f"timesteps={self.timesteps}, levels={self.levels}"


class InputExpansion(nn.Module):
    """ICE input encoder: one group of input channels per offset d, each with its own quantization grid.

    For an input channel c and group g with offset d = offsets[g], output channel g * C + c is k / L with the
    count k = min(floor((L + d) * b / 255), T), where b is the pixel byte. The input must be b / 255 in float32;
    the module recovers b = round(255 * x) and computes k with integer arithmetic, so the counts are exact, as
    format.md section 2.2 requires of every ICE implementation. A non-integer L is taken as the exact decimal fraction of its repr(),
    which is also the number written into the model file.
    """

    def __init__(self, timesteps, levels, offsets):
        super().__init__()
        _check_timesteps_levels(timesteps, levels)
        offsets = list(offsets)
        if not offsets:
            raise ValueError("offsets=[] is invalid: ICE needs at least one group, for example [-1, 0, 1]")
        for offset in offsets:
            if isinstance(offset, bool) or not isinstance(offset, int) or offset not in (-1, 0, 1):
                raise ValueError(f"offset {offset!r} in offsets={offsets!r} is invalid: each offset must be -1, 0 or 1")
            if levels + offset < 0:
                raise ValueError(
                    f"levels={levels!r} with offset {offset} gives a negative grid L + d: use levels >= 1"
                )
        self.timesteps = timesteps
        self.levels = levels
        self.offsets = offsets
        # (L + d) as an exact fraction numerator / denominator; the denominator is shared by all groups.
        levels_fraction = Fraction(repr(levels))
        self._denominator = levels_fraction.denominator
        self._numerators = [levels_fraction.numerator + d * levels_fraction.denominator for d in offsets]

    def forward(self, x):
        if x.dim() != 4:
            raise ValueError(f"InputExpansion input has shape {tuple(x.shape)}: expected [N, C, H, W]")
        pixel_bytes = torch.round(x.detach().to(torch.float64) * 255.0)
        if pixel_bytes.numel() and (pixel_bytes.min() < 0 or pixel_bytes.max() > 255):
            raise ValueError(
                "InputExpansion input is outside [0, 1]: it must be pixel bytes divided by 255"
            )
        pixel_bytes = pixel_bytes.to(torch.int64)
        groups = []
        for numerator in self._numerators:
            # floor(numerator * b / (255 * denominator)) with numerator * b <= 255 * numerator: no int64 overflow
            # for any levels whose decimal fraction has a numerator below 2^55.
            counts = torch.div(pixel_bytes * numerator, 255 * self._denominator, rounding_mode="floor")
            counts = torch.clamp(counts, max=self.timesteps)
            groups.append(counts.to(x.dtype) / self.levels)
        return torch.cat(groups, dim=1)

    def extra_repr(self):
        return f"timesteps={self.timesteps}, levels={self.levels}, offsets={self.offsets}"


# ---------------------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------------------


def _flatten_sequential(module, prefix=""):
    """Yield (path, module) for every leaf of nested Sequentials, with paths such as "3" or "block.1"."""
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            yield from _flatten_sequential(child, path + ".")
        else:
            yield path, child


def _pair(value, what, path):
    if isinstance(value, int):
        return [value, value]
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return [int(value[0]), int(value[1])]
    raise ExportError(f"{path}: {what}={value!r} is unsupported: expected an int or a pair of ints")


def _pool_output_size(size, kernel, stride, pad, dilation, ceil_mode):
    """Output length of a PyTorch pooling window along one axis, including its ceil_mode rule."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        # PyTorch drops the last window when it would start inside the right padding.
        if (out - 1) * stride >= size + pad:
            out -= 1
        return out
    return span // stride + 1


def _to_f32(tensor, name):
    array = tensor.detach().cpu().to(torch.float32).numpy()
    if not np.all(np.isfinite(array)):
        raise ExportError(f"tensor {name} contains NaN or infinite values: every parameter must be finite")
    return np.ascontiguousarray(array)


class _GraphBuilder:
    """Collects nodes and parameter tensors while the exporter walks the model."""

    def __init__(self, input_name):
        self.nodes = []
        self.tensors = {}
        self.previous = input_name

    def add(self, name, op, attrs=None, params=None):
        node = {"name": name, "op": op, "inputs": [self.previous]}
        if attrs:
            node["attrs"] = attrs
        if params:
            node["params"] = {}
            for role, tensor in params.items():
                tensor_name = f"{name}.{role}"
                self.tensors[tensor_name] = _to_f32(tensor, tensor_name)
                node["params"][role] = tensor_name
        self.nodes.append(node)
        self.previous = name


def _export_conv2d(builder, path, conv, shape):
    if len(shape) != 3:
        raise ExportError(f"{path}: Conv2d input has shape {shape}: expected a [C, H, W] feature map")
    if conv.padding_mode != "zeros":
        raise ExportError(
            f"{path}: padding_mode={conv.padding_mode!r} is unsupported: ratesim pads with zeros only"
        )
    kernel = _pair(conv.kernel_size, "kernel_size", path)
    stride = _pair(conv.stride, "stride", path)
    dilation = _pair(conv.dilation, "dilation", path)
    if conv.padding == "valid":
        padding = [0, 0, 0, 0]
    elif conv.padding == "same":
        if stride != [1, 1]:
            raise ExportError(f"{path}: padding='same' with stride={stride} cannot be resolved: use explicit padding")
        # PyTorch splits the total padding dilation * (k - 1) and puts the odd element at the bottom or right.
        total_h = dilation[0] * (kernel[0] - 1)
        total_w = dilation[1] * (kernel[1] - 1)
        padding = [total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2]
    else:
        pad_h, pad_w = _pair(conv.padding, "padding", path)
        padding = [pad_h, pad_h, pad_w, pad_w]
    params = {"weight": conv.weight}
    if conv.bias is not None:
        params["bias"] = conv.bias
    attrs = {"stride": stride, "padding": padding, "dilation": dilation, "groups": int(conv.groups)}
    builder.add(path, "conv2d", attrs, params)


def _export_batch_norm(builder, path, bn, shape):
    expected_rank = 3 if isinstance(bn, nn.BatchNorm2d) else 1
    if len(shape) != expected_rank:
        kind = "a [C, H, W] feature map" if expected_rank == 3 else "an [N] vector"
        raise ExportError(f"{path}: {type(bn).__name__} input has shape {shape}: expected {kind}")
    channels = bn.num_features
    weight = bn.weight if bn.weight is not None else torch.ones(channels)
    bias = bn.bias if bn.bias is not None else torch.zeros(channels)
    params = {"weight": weight, "bias": bias, "running_mean": bn.running_mean, "running_var": bn.running_var}
    builder.add(path, "batch_norm", {"eps": float(bn.eps)}, params)


def _export_linear(builder, path, linear, shape):
    if len(shape) != 1:
        raise ExportError(f"{path}: Linear input has shape {shape}: expected a vector; add nn.Flatten() before it")
    params = {"weight": linear.weight}
    if linear.bias is not None:
        params["bias"] = linear.bias
    builder.add(path, "linear", None, params)


def _check_pool_settings(path, pool, shape, output_shape, kernel, stride, padding, dilation):
    """Reject pool settings whose result differs from ratesim's floor-mode, kh * kw-divisor pools."""
    name = type(pool).__name__
    if pool.ceil_mode:
        floor_size = [
            _pool_output_size(shape[1], kernel[0], stride[0], padding[0], dilation[0], False),
            _pool_output_size(shape[2], kernel[1], stride[1], padding[1], dilation[1], False),
        ]
        if floor_size != list(output_shape[1:]):
            raise ExportError(
                f"{path}: {name} ceil_mode=True gives output {list(output_shape[1:])} but ratesim rounds down to "
                f"{floor_size}: set ceil_mode=False or pad the input"
            )
    if isinstance(pool, nn.AvgPool2d):
        if not pool.count_include_pad and any(padding):
            raise ExportError(
                f"{path}: AvgPool2d count_include_pad=False with padding {padding} is unsupported: "
                "ratesim always divides by kh * kw; use count_include_pad=True or padding 0"
            )
        divisor = pool.divisor_override
        if divisor is not None and divisor != kernel[0] * kernel[1]:
            raise ExportError(
                f"{path}: AvgPool2d divisor_override={divisor} is unsupported: ratesim divides by "
                f"kh * kw = {kernel[0] * kernel[1]}; remove divisor_override"
            )


def _export_pool(builder, path, pool, shape, output_shape):
    name = type(pool).__name__
    if len(shape) != 3:
        raise ExportError(f"{path}: {name} input has shape {shape}: expected a [C, H, W] feature map")
    kernel = _pair(pool.kernel_size, "kernel_size", path)
    # PyTorch stores stride=None as the kernel size.
    stride = _pair(pool.stride if pool.stride else pool.kernel_size, "stride", path)
    padding = _pair(pool.padding, "padding", path)

    dilation = [1, 1]
    if isinstance(pool, nn.MaxPool2d):
        dilation = _pair(pool.dilation, "dilation", path)
        if dilation != [1, 1]:
            raise ExportError(f"{path}: MaxPool2d dilation={dilation} is unsupported: ratesim pools need dilation 1")
        if pool.return_indices:
            raise ExportError(f"{path}: MaxPool2d return_indices=True is unsupported: set it to False")
    _check_pool_settings(path, pool, shape, output_shape, kernel, stride, padding, dilation)

    attrs = {"kernel": kernel, "stride": stride, "padding": [padding[0], padding[0], padding[1], padding[1]]}
    builder.add(path, "avg_pool2d" if isinstance(pool, nn.AvgPool2d) else "max_pool2d", attrs)


def _export_flatten(builder, path, flatten, shape):
    if len(shape) != 3:
        raise ExportError(f"{path}: Flatten input has shape {shape}: ratesim flattens only [C, H, W] feature maps")
    # The batched tensor is [N, C, H, W], so start_dim 1 and end_dim -1 or 3 flatten one image in C, H, W order.
    if flatten.start_dim != 1 or flatten.end_dim not in (-1, 3):
        raise ExportError(
            f"{path}: Flatten(start_dim={flatten.start_dim}, end_dim={flatten.end_dim}) is unsupported: "
            "use nn.Flatten() (start_dim=1, end_dim=-1)"
        )
    builder.add(path, "flatten", {"order": "chw"})


def _quantizer_attrs(module):
    attrs = {"timesteps": int(module.timesteps), "levels": _json_number(module.levels)}
    if isinstance(module, InputExpansion):
        attrs["offsets"] = list(module.offsets)
    return attrs


def _image_shape(input_shape):
    shape = [int(v) for v in input_shape]
    if len(shape) == 2:
        shape = [1] + shape
    if len(shape) != 3 or min(shape) < 1:
        raise ExportError(f"input_shape={tuple(input_shape)!r} is invalid: expected (C, H, W) or (H, W) of one image")
    return shape


def _sample_arrays(samples, image_shape, classes):
    images, labels = samples
    images = np.asarray(images.cpu() if isinstance(images, torch.Tensor) else images)
    labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    if images.dtype != np.uint8:
        raise ExportError(f"sample images have dtype {images.dtype}: expected uint8 pixel bytes")
    if images.ndim == 3 and image_shape[0] == 1:
        images = images[:, None, :, :]
    if images.ndim != 4 or list(images.shape[1:]) != image_shape:
        raise ExportError(
            f"sample images have shape {list(images.shape)}: expected [N, {', '.join(map(str, image_shape))}]"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ExportError(f"sample labels have shape {list(labels.shape)}: expected [{images.shape[0]}]")
    if labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= classes):
        raise ExportError(f"sample labels must be integers in 0 .. {classes - 1}")
    label_dtype = np.uint8 if classes <= 256 else np.dtype("<i4")
    return np.ascontiguousarray(images), np.ascontiguousarray(labels.astype(label_dtype))


def _pick_input_name(node_names):
    name = "input"
    index = 0
    while name in node_names:
        name = f"input_{index}"
        index += 1
    return name


def build_graph(model, input_shape, classes=None):
    """Translate a Sequential into the format-v1 graph dict and its parameter tensors (name -> float32 array).

    Runs the model once in eval mode on a zero image to infer every node's shape; the model's training flag is
    restored afterwards. Raises ExportError for a module or setting ratesim cannot represent.
    """
    if not isinstance(model, nn.Sequential):
        raise ExportError(f"model is a {type(model).__name__}: export needs a torch.nn.Sequential")
    image_shape = _image_shape(input_shape)
    leaves = list(_flatten_sequential(model))
    if not leaves:
        raise ExportError("model is an empty Sequential: it needs at least one layer")
    for path, _ in leaves:
        if not path or len(path) > MAX_NODE_NAME_CHARS:
            raise ExportError(f"module path {path!r} is invalid as a node name: it must have 1..128 characters")

    input_name = _pick_input_name({path for path, _ in leaves})
    builder = _GraphBuilder(input_name)
    was_training = model.training
    model.eval()
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        x = torch.zeros([1] + image_shape, device=device)
        with torch.no_grad():
            for index, (path, module) in enumerate(leaves):
                shape = list(x.shape[1:])
                _check_before_forward(path, module, index)
                try:
                    y = module(x)
                except (RuntimeError, ValueError) as error:
                    raise ExportError(f"{path}: {type(module).__name__} fails on input shape {shape}: {error}") from error
                _export_module(builder, path, module, shape, list(y.shape[1:]))
                x = y
    finally:
        model.train(was_training)

    output_shape = list(x.shape[1:])
    if len(output_shape) != 1:
        raise ExportError(f"model output has shape {output_shape}: the last layer must produce a [classes] vector")
    if classes is None:
        classes = output_shape[0]
    if output_shape[0] != classes:
        raise ExportError(f"model output has {output_shape[0]} values but classes={classes}: they must be equal")

    graph = {
        "input": {"name": input_name, "shape": image_shape, "scale": PIXEL_SCALE, "classes": int(classes)},
        "nodes": builder.nodes,
        "output": builder.previous,
    }
    return graph, builder.tensors


def _check_before_forward(path, module, index):
    """Reject settings that would make the shape probe itself fail with a less helpful message."""
    if isinstance(module, InputExpansion) and index != 0:
        raise ExportError(f"{path}: InputExpansion must be the first layer, because it encodes pixel bytes")
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and (module.running_mean is None or module.running_var is None):
        raise ExportError(
            f"{path}: {type(module).__name__} has track_running_stats=False: inference batch norm needs running statistics"
        )


def _export_module(builder, path, module, shape, output_shape):
    if isinstance(module, nn.Conv2d):
        _export_conv2d(builder, path, module, shape)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d)):
        _export_batch_norm(builder, path, module, shape)
    elif isinstance(module, nn.Linear):
        _export_linear(builder, path, module, shape)
    elif isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        _export_pool(builder, path, module, shape, output_shape)
    elif isinstance(module, nn.Flatten):
        _export_flatten(builder, path, module, shape)
    elif isinstance(module, nn.ReLU):
        builder.add(path, "relu")
    elif isinstance(module, (nn.Dropout, nn.Dropout2d)):
        builder.add(path, "dropout")
    elif isinstance(module, ClampFloor):
        builder.add(path, "clamp_floor", _quantizer_attrs(module))
    elif isinstance(module, InputExpansion):
        builder.add(path, "input_expansion", _quantizer_attrs(module))
    else:
        raise ExportError(
            f"{path}: {type(module).__name__} is unsupported: ratesim exports Conv2d, BatchNorm2d, BatchNorm1d, "
            "Linear, AvgPool2d, MaxPool2d, Flatten, ReLU, Dropout, Dropout2d, ClampFloor and InputExpansion"
        )


def _encode_container(tensors, metadata):
    """Serialize named numpy arrays and string metadata as safetensors bytes (header padded to 8 bytes)."""
    dtype_names = {dtype: name for name, dtype in _DTYPES.items()}
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, array in tensors.items():
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        dtype_name = dtype_names.get(np.dtype(dtype))
        if dtype_name is None:
            raise ExportError(f"tensor {name} has dtype {array.dtype}: ratesim writes F32, I32, I16 and U8 only")
        data = np.ascontiguousarray(array, dtype=_DTYPES[dtype_name]).tobytes()
        header[name] = {"dtype": dtype_name, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(chunks)


def export(model, input_shape, path, samples=None, classes=None):
    """Write ``model`` (a torch.nn.Sequential) as a ratesim format-v1 model file at ``path``.

    ``input_shape`` is (C, H, W) or (H, W) of one image. ``samples`` is an optional pair (images, labels) of
    uint8 images [N, C, H, W] (or [N, H, W] for one channel) and integer labels [N]. They are stored as
    ``samples.images`` (U8) and ``samples.labels`` (U8, or I32 when there are more than 256 classes).
    ``classes`` defaults to the size of the model output. Returns the graph dict that was written.
    """
    graph, tensors = build_graph(model, input_shape, classes)
    all_tensors = dict(tensors)
    if samples is not None:
        images, labels = _sample_arrays(samples, graph["input"]["shape"], graph["input"]["classes"])
        all_tensors["samples.images"] = images
        all_tensors["samples.labels"] = labels
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "graph": json.dumps(graph, separators=(",", ":")),
        "producer": f"ratesim_export.py (torch {torch.__version__})",
    }
    data = _encode_container(all_tensors, metadata)
    with open(path, "wb") as file:
        file.write(data)
    return graph


# ---------------------------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------------------------


def read_container(path):
    """Read a safetensors file into (metadata dict, {name: numpy array}), checking the container rules of format.md.

    Rejects a header that is not one JSON object, an unknown dtype, a shape that disagrees with its byte range,
    and byte ranges that do not cover the data buffer exactly. Raises ModelFileError.
    """
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise ModelFileError(f"{path}: file has {len(data)} bytes: a safetensors file starts with an 8-byte length")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > min(MAX_HEADER_BYTES, len(data) - 8):
        raise ModelFileError(f"{path}: header length {header_length} exceeds the file size or {MAX_HEADER_BYTES}")
    try:
        header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path}: header is not UTF-8 JSON: {error}") from error
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: header is a JSON {type(header).__name__}: expected an object")

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError(f"{path}: __metadata__ must map strings to strings")

    buffer = memoryview(data)[8 + header_length :]
    tensors = {}
    ranges = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(f"{path}: tensor {name}: entry must have exactly dtype, shape and data_offsets")
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ModelFileError(f"{path}: tensor {name} has dtype {entry['dtype']!r}: expected F32, I32, I16 or U8")
        shape = entry["shape"]
        begin, end = entry["data_offsets"]
        count = math.prod(shape)
        if end - begin != count * dtype.itemsize or begin < 0 or end > len(buffer):
            raise ModelFileError(
                f"{path}: tensor {name} data_offsets [{begin}, {end}] do not hold shape {shape} of {entry['dtype']}"
            )
        tensors[name] = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(shape).copy()
        ranges.append((begin, end))

    position = 0
    for begin, end in sorted(ranges):
        if begin != position:
            raise ModelFileError(f"{path}: tensor byte ranges leave a gap or overlap at offset {position}")
        position = end
    if position != len(buffer):
        raise ModelFileError(f"{path}: tensors cover {position} of {len(buffer)} data bytes: expected all of them")
    return metadata, tensors


def load(path):
    """Read a ratesim model file into (graph dict, {tensor name: numpy array}, samples).

    ``tensors`` contains every tensor of the file, including ``snn.*`` and ``samples.*``. ``samples`` is
    (images uint8 [N, C, H, W], labels int64 [N]) or None when the file embeds no samples. The graph is parsed
    but only its top-level keys are checked; the Java reader performs the full validation.
    """
    metadata, tensors = read_container(path)
    if metadata.get("format") != FORMAT_NAME or metadata.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: metadata format={metadata.get('format')!r} format_version={metadata.get('format_version')!r}: "
            f"expected {FORMAT_NAME!r} version {FORMAT_VERSION!r}"
        )
    if "graph" not in metadata:
        raise ModelFileError(f"{path}: metadata has no graph: every ratesim model file needs one")
    try:
        graph = json.loads(metadata["graph"])
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path}: metadata graph is not valid JSON: {error}") from error
    if not isinstance(graph, dict) or not {"input", "nodes", "output"} <= set(graph):
        raise ModelFileError(f"{path}: graph must be an object with input, nodes and output")

    has_images = "samples.images" in tensors
    has_labels = "samples.labels" in tensors
    if has_images != has_labels:
        raise ModelFileError(f"{path}: samples.images and samples.labels must be both present or both absent")
    samples = None
    if has_images:
        samples = (tensors["samples.images"], tensors["samples.labels"].astype(np.int64))
    return graph, tensors, samples
