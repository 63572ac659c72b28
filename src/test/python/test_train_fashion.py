"""Tests of train_fashion's data reader, model builder and argument parsing (no training run).

Run from the repository root:
    /usr/bin/python3 -m unittest discover -s src/test/python
"""

import contextlib
import gzip
import io
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPOSITORY, "src", "main", "python"))

import train_fashion  # noqa: E402
from ratesim_export import ClampFloor, InputExpansion, export, load  # noqa: E402

TESTDATA = os.path.join(REPOSITORY, "testdata")


class ReadIdxTest(unittest.TestCase):
    def test_bundled_t10k(self):
        images, labels = train_fashion.load_split(TESTDATA, "t10k")
        self.assertEqual(images.shape, (10000, 28, 28))
        self.assertEqual(labels.shape, (10000,))
        self.assertEqual(images.dtype, np.uint8)
        self.assertEqual(set(np.unique(labels)), set(range(10)))

    def test_small_file(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "small.gz")
            with gzip.open(path, "wb") as file:
                file.write(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]))
            np.testing.assert_array_equal(train_fashion.read_idx(path), [[1, 2, 3], [4, 5, 6]])

    def test_short_body(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "short.gz")
            with gzip.open(path, "wb") as file:
                file.write(bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3]))
            with self.assertRaisesRegex(ValueError, "needs 4"):
                train_fashion.read_idx(path)

    def test_non_byte_dtype(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "float.gz")
            with gzip.open(path, "wb") as file:
                file.write(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]))
            with self.assertRaisesRegex(ValueError, "unsupported"):
                train_fashion.read_idx(path)


class BuildModelTest(unittest.TestCase):
    def test_encoders_and_shapes(self):
        cases = [
            ("vr", dict(offsets=None, relu=False), ClampFloor, 1),
            ("ice", dict(offsets=[-1, 0, 1], relu=False), InputExpansion, 3),
            ("relu", dict(offsets=None, relu=True), torch.nn.Conv2d, 1),
        ]
        for label, options, first_type, in_channels in cases:
            with self.subTest(model=label):
                model = train_fashion.build_model(4, 8, widths=[4, 6, 8], **options).eval()
                self.assertIsInstance(model[0], first_type)
                self.assertEqual(model.conv1.in_channels, in_channels)
                self.assertEqual(model(torch.zeros(2, 1, 28, 28)).shape, (2, 10))
                # The last block leaves a 2 x 2 map, so the Linear layer reads 4 values per channel.
                self.assertEqual(model.fc.in_features, 8 * 2 * 2)

    def test_relu_twin_has_no_quantizer(self):
        model = train_fashion.build_model(1, 4, None, True, [4, 4, 4])
        kinds = {type(module) for module in model}
        self.assertNotIn(ClampFloor, kinds)
        self.assertNotIn(InputExpansion, kinds)

    def test_export_uses_layer_names(self):
        model = train_fashion.build_model(1, 4, None, False, [2, 2, 2])
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "model.safetensors")
            export(model, (1, 28, 28), path)
            graph, tensors, samples = load(path)
        names = [node["name"] for node in graph["nodes"]]
        self.assertEqual(names[:4], ["encode", "conv1", "bn1", "act1"])
        self.assertEqual(graph["output"], "fc")
        self.assertIn("conv7.weight", tensors)
        self.assertIsNone(samples)


class ArgumentTest(unittest.TestCase):
    def test_ice_with_negative_offset(self):
        args = train_fashion.parse_arguments(["--ice", "-1,0,1", "--timesteps", "4", "--levels", "8", "--out", "x"])
        self.assertEqual(args.ice, [-1, 0, 1])
        self.assertEqual(args.timesteps, 4)

    def assert_usage_error(self, argv, message):
        errors = io.StringIO()
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(errors):
            train_fashion.parse_arguments(argv)
        self.assertIn(message, errors.getvalue())

    def test_relu_and_ice_exclusive(self):
        self.assert_usage_error(["--relu", "--ice", "0", "--out", "x"], "--relu and --ice exclude each other")

    def test_invalid_widths(self):
        self.assert_usage_error(["--widths", "8,8", "--out", "x"], "expected three positive integers")


if __name__ == "__main__":
    unittest.main()
