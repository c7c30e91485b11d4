#!/usr/bin/env python3
"""PyTorch/torchvision peer for the vision Diffusion Policy (tests/ImmisciblePolicy.Policy.Tests VisionPeerTests).

Builds, from torchvision's ResNet parts (pytorch/vision torchvision/models/resnet.py), the camera encoder exactly as
LeRobot's DiffusionRgbEncoder does (huggingface/lerobot src/lerobot/policies/diffusion/modeling_diffusion.py:
children()[:-2] of the ResNet, every BatchNorm2d replaced by GroupNorm(C // group, C), SpatialSoftmax with a 1x1 conv
to K keypoints and a numpy meshgrid pos_grid buffer, Linear(2K, 2K) + ReLU, centre crop in eval), plus diffusion_policy's
ConditionalUnet1D (real-stanford/diffusion_policy model/diffusion/conditional_unet1d.py) as `unet`. It loads the
weights that ImmisciblePolicy wrote with load_state_dict(strict=True) and writes what the networks compute.

Usage: vision_policy_peer.py CONFIG.json WEIGHTS.safetensors INPUTS.safetensors OUT_DIR
CONFIG: {"base_width", "blocks": [..], "group": 16, "keypoints": 32, "crop": [h, w] | null, "separate": bool,
         "torchvision_resnet18": bool, "unet": null | {"input_dim", "global_cond_dim", "embed", "down_dims", "kernel", "groups", "scale"}}
INPUTS: state (B, To, Ds), images (B, To, N, C, H, W) normalised floats; with a unet also sample (B, Tp, Da), timesteps (B).
Writes OUT_DIR/features.f32 ((B To N, 2K) per-frame encoder features) and, with a unet, cond.f32 ((B, To Do)) and eps.f32.
"""
import json, math, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock, conv1x1


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "U8": np.uint8, "I32": np.int32}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"]).copy())
    return out


def replace_bn_with_gn(module, group):
    # LeRobot's _replace_submodules(predicate=BatchNorm2d, func=GroupNorm(num_features // 16, num_features)).
    for name, child in list(module.named_children()):
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, nn.GroupNorm(child.num_features // group, child.num_features))
        else:
            replace_bn_with_gn(child, group)
    return module


def trunk(cfg):
    if cfg["torchvision_resnet18"]:
        children = list(torchvision.models.resnet18(weights=None).children())[:-2]
    else:
        w = cfg["base_width"]
        children = [nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        inplanes = w
        for s, blocks in enumerate(cfg["blocks"]):
            planes, stride = w << s, (1 if s == 0 else 2)
            layer = []
            for b in range(blocks):
                st = stride if b == 0 else 1
                down = None
                if st != 1 or inplanes != planes:
                    down = nn.Sequential(conv1x1(inplanes, planes, st), nn.BatchNorm2d(planes))
                layer.append(BasicBlock(inplanes, planes, st, down))
                inplanes = planes
            children.append(nn.Sequential(*layer))
    return replace_bn_with_gn(nn.Sequential(*children), cfg["group"])


class SpatialSoftmax(nn.Module):
    def __init__(self, c, h, w, k):
        super().__init__()
        self.h, self.w, self.k = h, w, k
        self.nets = nn.Conv2d(c, k, kernel_size=1)
        px, py = np.meshgrid(np.linspace(-1.0, 1.0, w), np.linspace(-1.0, 1.0, h))
        px = torch.from_numpy(px.reshape(h * w, 1)).float()
        py = torch.from_numpy(py.reshape(h * w, 1)).float()
        self.register_buffer("pos_grid", torch.cat([px, py], dim=1))

    def forward(self, x):
        x = self.nets(x).reshape(-1, self.h * self.w)
        return (F.softmax(x, dim=-1) @ self.pos_grid).view(-1, self.k, 2)


class RgbEncoder(nn.Module):
    def __init__(self, cfg, c, h, w):
        super().__init__()
        self.crop = torchvision.transforms.CenterCrop(cfg["crop"]) if cfg["crop"] else None
        self.backbone = trunk(cfg)
        ch, cw = cfg["crop"] if cfg["crop"] else (h, w)
        with torch.no_grad():
            fh, fw = self.backbone(torch.zeros(1, c, ch, cw)).shape[2:]
        k = cfg["keypoints"]
        self.pool = SpatialSoftmax(self.backbone(torch.zeros(1, c, ch, cw)).shape[1], fh, fw, k)
        self.out = nn.Linear(2 * k, 2 * k)
        self.relu = nn.ReLU()

    def forward(self, x):
        if self.crop is not None:
            x = self.crop(x)
        return self.relu(self.out(torch.flatten(self.pool(self.backbone(x)), start_dim=1)))


class SinusoidalPosEmb(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        half = self.dim // 2
        e = torch.exp(torch.arange(half) * -(math.log(10000) / (half - 1)))
        e = x[:, None].float() * e[None, :]
        return torch.cat((e.sin(), e.cos()), dim=-1)


class Conv1dBlock(nn.Module):
    def __init__(self, cin, cout, k, g):
        super().__init__()
        self.block = nn.Sequential(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(g, cout), nn.Mish())

    def forward(self, x):
        return self.block(x)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, cond, k, g, scale):
        super().__init__()
        self.blocks = nn.ModuleList([Conv1dBlock(cin, cout, k, g), Conv1dBlock(cout, cout, k, g)])
        self.cout, self.scale = cout, scale
        self.cond_encoder = nn.Sequential(nn.Mish(), nn.Linear(cond, 2 * cout if scale else cout))
        self.residual_conv = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, cond):
        out = self.blocks[0](x)
        embed = self.cond_encoder(cond).unsqueeze(-1)
        if self.scale:
            embed = embed.reshape(embed.shape[0], 2, self.cout, 1)
            out = embed[:, 0] * out + embed[:, 1]
        else:
            out = out + embed
        return self.blocks[1](out) + self.residual_conv(x)


class Downsample1d(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.conv = nn.Conv1d(d, d, 3, 2, 1)

    def forward(self, x):
        return self.conv(x)


class Upsample1d(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.conv = nn.ConvTranspose1d(d, d, 4, 2, 1)

    def forward(self, x):
        return self.conv(x)


class ConditionalUnet1D(nn.Module):
    def __init__(self, u):
        super().__init__()
        dsed, k, g, sc = u["embed"], u["kernel"], u["groups"], u["scale"]
        dims = [u["input_dim"]] + list(u["down_dims"])
        cond = dsed + u["global_cond_dim"]
        in_out = list(zip(dims[:-1], dims[1:]))
        mid = dims[-1]
        self.mid_modules = nn.ModuleList([ResBlock(mid, mid, cond, k, g, sc), ResBlock(mid, mid, cond, k, g, sc)])
        self.diffusion_step_encoder = nn.Sequential(SinusoidalPosEmb(dsed), nn.Linear(dsed, 4 * dsed), nn.Mish(), nn.Linear(4 * dsed, dsed))
        self.up_modules = nn.ModuleList([
            nn.ModuleList([ResBlock(2 * o, i, cond, k, g, sc), ResBlock(i, i, cond, k, g, sc), Upsample1d(i)])
            for i, o in reversed(in_out[1:])])
        self.down_modules = nn.ModuleList([
            nn.ModuleList([ResBlock(i, o, cond, k, g, sc), ResBlock(o, o, cond, k, g, sc)]
                          + ([Downsample1d(o)] if n < len(in_out) - 1 else []))
            for n, (i, o) in enumerate(in_out)])
        self.final_conv = nn.Sequential(Conv1dBlock(dims[1], dims[1], k, g), nn.Conv1d(dims[1], u["input_dim"], 1))

    def forward(self, sample, t, global_cond):
        x = sample.moveaxis(-1, -2)
        cond = torch.cat([self.diffusion_step_encoder(t), global_cond], dim=-1)
        h = []
        for mods in self.down_modules:
            x = mods[1](mods[0](x, cond), cond)
            h.append(x)
            if len(mods) > 2:
                x = mods[2](x)
        for m in self.mid_modules:
            x = m(x, cond)
        for r1, r2, up in self.up_modules:
            x = torch.cat((x, h.pop()), dim=1)
            x = up(r2(r1(x, cond), cond))
        return self.final_conv(x).moveaxis(-1, -2)


class VisionModel(nn.Module):
    """LeRobot's DiffusionModel: rgb_encoder (shared or ModuleList) + unet; _prepare_global_conditioning."""

    def __init__(self, cfg, n_cams, c, h, w):
        super().__init__()
        self.separate = cfg["separate"]
        if self.separate:
            self.rgb_encoder = nn.ModuleList([RgbEncoder(cfg, c, h, w) for _ in range(n_cams)])
        else:
            self.rgb_encoder = RgbEncoder(cfg, c, h, w)
        if cfg.get("unet"):
            self.unet = ConditionalUnet1D(cfg["unet"])

    def conditioning(self, state, images):
        b, s = state.shape[:2]
        if self.separate:
            per_cam = images.permute(2, 0, 1, 3, 4, 5).reshape(images.shape[2], b * s, *images.shape[3:])
            feats = torch.cat([enc(x) for enc, x in zip(self.rgb_encoder, per_cam)])
            per_frame = feats.reshape(images.shape[2], b, s, -1).permute(1, 2, 0, 3).reshape(b * s * images.shape[2], -1)
            img = feats.reshape(images.shape[2], b, s, -1).permute(1, 2, 0, 3).reshape(b, s, -1)
        else:
            per_frame = self.rgb_encoder(images.reshape(-1, *images.shape[3:]))
            img = per_frame.reshape(b, s, -1)
        return per_frame, torch.cat([state, img], dim=-1).flatten(start_dim=1)


def main():
    cfg = json.load(open(sys.argv[1]))
    weights = read_safetensors(sys.argv[2])
    inputs = read_safetensors(sys.argv[3])
    out_dir = sys.argv[4]
    images = inputs["images"]
    model = VisionModel(cfg, images.shape[2], images.shape[3], images.shape[4], images.shape[5])
    model.load_state_dict(weights, strict=True)
    model.eval()
    with torch.no_grad():
        per_frame, cond = model.conditioning(inputs["state"], images)
        per_frame.numpy().astype("<f4").tofile(out_dir + "/features.f32")
        if cfg.get("unet"):
            cond.numpy().astype("<f4").tofile(out_dir + "/cond.f32")
            eps = model.unet(inputs["sample"], inputs["timesteps"], cond)
            eps.numpy().astype("<f4").tofile(out_dir + "/eps.f32")
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters()), "names": len(weights)}))


if __name__ == "__main__":
    main()
