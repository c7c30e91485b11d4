#!/usr/bin/env python3
"""diffusion_policy's ConditionalUnet1D rebuilt in plain PyTorch, with the reference's module names.

Written from the published architecture (real-stanford/diffusion_policy,
diffusion_policy/model/diffusion/conditional_unet1d.py, conv1d_components.py, positional_embedding.py; see
REFERENCE.md section 2) so that an ImmisciblePolicy checkpoint's safetensors load with load_state_dict(strict=True):
only global conditioning (obs_as_global_cond), no local_cond encoder, einops replaced by transpose/unsqueeze.

Used by the outside-peer tests and benchmarks:
  * tests/peers/torch_policy_bench.py times it;
  * `python3 diffusion_policy_unet.py export ...` loads a checkpoint's EMA weights strictly and runs
    torch.onnx.export (opset 17), the reference exporter the ONNX engine is checked against;
  * `python3 diffusion_policy_unet.py check FILE` runs onnx.checker on an .onnx file.
"""
import argparse
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half = self.dim // 2
        freq = torch.exp(torch.arange(half, device=x.device) * -(math.log(10000) / (half - 1)))
        e = x[:, None].float() * freq[None, :]
        return torch.cat([e.sin(), e.cos()], dim=-1)


class Conv1dBlock(nn.Module):
    def __init__(self, cin, cout, k, n_groups=8):
        super().__init__()
        self.block = nn.Sequential(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(n_groups, cout), nn.Mish())

    def forward(self, x):
        return self.block(x)


class Downsample1d(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.Conv1d(dim, dim, 3, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Upsample1d(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.ConvTranspose1d(dim, dim, 4, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Unsqueeze(nn.Module):
    """einops Rearrange('batch t -> batch t 1') of the reference's cond_encoder."""

    def forward(self, x):
        return x.unsqueeze(-1)


class ConditionalResidualBlock1D(nn.Module):
    def __init__(self, cin, cout, cond_dim, k=3, n_groups=8, cond_predict_scale=False):
        super().__init__()
        self.blocks = nn.ModuleList([Conv1dBlock(cin, cout, k, n_groups), Conv1dBlock(cout, cout, k, n_groups)])
        self.cond_predict_scale = cond_predict_scale
        self.out_channels = cout
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, cout * 2 if cond_predict_scale else cout), Unsqueeze())
        self.residual_conv = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, cond):
        out = self.blocks[0](x)
        embed = self.cond_encoder(cond)
        if self.cond_predict_scale:
            embed = embed.reshape(embed.shape[0], 2, self.out_channels, 1)
            out = embed[:, 0, ...] * out + embed[:, 1, ...]
        else:
            out = out + embed
        out = self.blocks[1](out)
        return out + self.residual_conv(x)


class ConditionalUnet1D(nn.Module):
    def __init__(self, input_dim, global_cond_dim, diffusion_step_embed_dim=256, down_dims=(256, 512, 1024),
                 kernel_size=3, n_groups=8, cond_predict_scale=False):
        super().__init__()
        all_dims = [input_dim] + list(down_dims)
        start_dim = down_dims[0]
        dsed = diffusion_step_embed_dim
        cond_dim = dsed + global_cond_dim
        in_out = list(zip(all_dims[:-1], all_dims[1:]))

        def block(a, b):
            return ConditionalResidualBlock1D(a, b, cond_dim, kernel_size, n_groups, cond_predict_scale)

        self.mid_modules = nn.ModuleList([block(all_dims[-1], all_dims[-1]), block(all_dims[-1], all_dims[-1])])
        self.diffusion_step_encoder = nn.Sequential(
            SinusoidalPosEmb(dsed), nn.Linear(dsed, dsed * 4), nn.Mish(), nn.Linear(dsed * 4, dsed))
        self.up_modules = nn.ModuleList([
            nn.ModuleList([block(d_out * 2, d_in), block(d_in, d_in), Upsample1d(d_in)])
            for d_in, d_out in reversed(in_out[1:])])
        self.down_modules = nn.ModuleList([
            nn.ModuleList([block(d_in, d_out), block(d_out, d_out),
                           Downsample1d(d_out) if i < len(in_out) - 1 else nn.Identity()])
            for i, (d_in, d_out) in enumerate(in_out)])
        # The reference builds final_conv's Conv1dBlock with the default n_groups = 8.
        self.final_conv = nn.Sequential(Conv1dBlock(start_dim, start_dim, kernel_size), nn.Conv1d(start_dim, input_dim, 1))

    def forward(self, sample, timestep, global_cond):
        """sample (B, T, Da), timestep (B) or scalar, global_cond (B, G) -> (B, T, Da)."""
        x = sample.transpose(1, 2)
        timesteps = timestep
        if len(timesteps.shape) == 0:
            timesteps = timesteps[None]
        timesteps = timesteps.expand(sample.shape[0])
        feature = torch.cat([self.diffusion_step_encoder(timesteps), global_cond], dim=-1)
        h = []
        for resnet, resnet2, downsample in self.down_modules:
            x = resnet2(resnet(x, feature), feature)
            h.append(x)
            x = downsample(x)
        for mid in self.mid_modules:
            x = mid(x, feature)
        for resnet, resnet2, upsample in self.up_modules:
            x = torch.cat((x, h.pop()), dim=1)
            x = resnet2(resnet(x, feature), feature)
            x = upsample(x)
        return self.final_conv(x).transpose(1, 2)


def from_unet_config(cfg):
    """Builds the network from ImmisciblePolicy's UnetConfig JSON (keys as in config.json's Policy.Unet)."""
    return ConditionalUnet1D(cfg["InputDim"], cfg["GlobalCondDim"], cfg["DiffusionStepEmbedDim"], cfg["DownDims"],
                             cfg["KernelSize"], cfg["NGroups"], cfg["CondPredictScale"])


def read_safetensors(path, prefix):
    """The float32 tensors of a .safetensors file whose names start with prefix, prefix removed (numpy only)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or not name.startswith(prefix):
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        out[name[len(prefix):]] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").copy().reshape(info["shape"]))
    return out


def export(args):
    with open(args.config) as f:
        cfg = json.load(f)
    unet = cfg["Policy"]["Unet"] if "Policy" in cfg else cfg
    net = from_unet_config(unet)
    net.load_state_dict(read_safetensors(args.safetensors, args.prefix), strict=True)
    net.eval()
    b, t = 2, 4 * 2 ** (len(unet["DownDims"]) - 1)                 # dummy inputs: batch and horizon stay symbolic
    inputs = (torch.zeros(b, t, unet["InputDim"]), torch.zeros(b, dtype=torch.long), torch.zeros(b, unet["GlobalCondDim"]))
    torch.onnx.export(net, inputs, args.out, opset_version=17, input_names=["sample", "timestep", "global_cond"],
                      output_names=["prediction"], do_constant_folding=True,
                      dynamic_axes={"sample": {0: "batch", 1: "horizon"}, "timestep": {0: "batch"},
                                    "global_cond": {0: "batch"}, "prediction": {0: "batch", 1: "horizon"}})
    print(json.dumps({"torch": torch.__version__, "params": sum(p.numel() for p in net.parameters()), "out": args.out}))


def check(args):
    import onnx
    model = onnx.load(args.file)
    onnx.checker.check_model(model, full_check=True)
    print(json.dumps({
        "onnx": onnx.__version__, "ir_version": model.ir_version,
        "opset": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        "inputs": {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input},
        "input_types": {i.name: i.type.tensor_type.elem_type for i in model.graph.input},
        "outputs": {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output},
        "metadata": {p.key: p.value for p in model.metadata_props},
        "ops": sorted({n.op_type for n in model.graph.node}),
        "initializers": len(model.graph.initializer),
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="load a checkpoint's weights strictly and torch.onnx.export them (opset 17)")
    e.add_argument("--config", required=True, help="the checkpoint's config.json (or a UnetConfig JSON)")
    e.add_argument("--safetensors", required=True)
    e.add_argument("--prefix", default="ema_model.")
    e.add_argument("--out", required=True)
    c = sub.add_parser("check", help="onnx.checker.check_model(full_check=True) and a JSON summary")
    c.add_argument("file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    {"export": export, "check": check}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
