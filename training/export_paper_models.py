#!/usr/bin/python3
"""Exports the paper's segmentation architectures from torchvision as ONNX for the int8 benchmark.

DeepLabV3 and FCN with ResNet50 and ResNet101 backbones, 4 classes, 512x512 input, opset 13.
Weights are random (seeded): the files are for measuring speed and size, not for predictions, and are never shipped.
`npm run bench` runs this when Debian's python3-torchvision is present and caches the files (see bench/paper.ts).

    /usr/bin/python3 training/export_paper_models.py --out .cache/paper-models [--models deeplabv3_resnet50 ...]
"""
import argparse
import os
import sys

import torch
import torchvision.models.segmentation as seg

ARCHITECTURES = {
    'deeplabv3_resnet50': seg.deeplabv3_resnet50,
    'deeplabv3_resnet101': seg.deeplabv3_resnet101,
    'fcn_resnet50': seg.fcn_resnet50,
    'fcn_resnet101': seg.fcn_resnet101,
}


class MainOutput(torch.nn.Module):
    """torchvision's segmentation models return a dict; ONNX gets its 'out' tensor, the class scores."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)['out']


def build(name, classes):
    try:
        return ARCHITECTURES[name](weights=None, weights_backbone=None, num_classes=classes, aux_loss=False)
    except TypeError:  # torchvision before 0.13
        return ARCHITECTURES[name](pretrained=False, pretrained_backbone=False, num_classes=classes, aux_loss=False)


def add_metadata(path, name, classes, size):
    try:
        import onnx
    except ImportError:
        return
    model = onnx.load(path)
    props = {
        'name': name,
        'version': '0.0.0',
        'labels': '[' + ','.join(f'"class {i}"' for i in range(classes)) + ']',
        'mean': '[0.485,0.456,0.406]',
        'std': '[0.229,0.224,0.225]',
        'input_size': f'[{size},{size}]',
        'description': 'torchvision architecture with random weights (seed 0): for speed and size measurements only',
    }
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='folder for <architecture>.onnx')
    parser.add_argument('--models', nargs='*', default=list(ARCHITECTURES), choices=list(ARCHITECTURES))
    parser.add_argument('--classes', type=int, default=4)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--opset', type=int, default=13)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for name in args.models:
        path = os.path.join(args.out, f'{name}.onnx')
        if os.path.exists(path):
            print(f'{path}: cached', file=sys.stderr)
            continue
        torch.manual_seed(0)
        model = MainOutput(build(name, args.classes)).eval()
        partial = path + '.partial'
        with torch.no_grad():
            torch.onnx.export(model, torch.randn(1, 3, args.size, args.size), partial, opset_version=args.opset,
                              input_names=['x'], output_names=['out'], do_constant_folding=True)
        add_metadata(partial, name, args.classes, args.size)
        os.replace(partial, path)  # a killed export never leaves a half-written model in the cache
        print(f'{path}: exported', file=sys.stderr)


if __name__ == '__main__':
    main()
