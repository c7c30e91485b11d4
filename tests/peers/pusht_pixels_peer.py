#!/usr/bin/env python3
"""gym-pusht pixel-observation peer (tests/ImmisciblePolicy.Sim.Tests ObservationImageTests).

Draws Push-T with pygame exactly as huggingface/gym-pusht gym_pusht/envs/pusht.py PushTEnv._draw does through its
pymunk_override.DrawOptions (goal polygons in LightGreen; each T box filled with light_color(LightSlateGray) and
outlined by draw_fat_segment of radius 2; the agent circle of radius 15 with a light disc of radius 11; the wall
segments of radius 2 last), with the T's vertices placed by pymunk's local_to_world (position + rotated vertex),
then resizes with cv2.resize(img, (w, h)) (INTER_LINEAR), as PushTEnv._get_img does.

Usage: pusht_pixels_peer.py OUT_DIR SIZE agent_x agent_y block_x block_y angle [...more states]
       pusht_pixels_peer.py --resize IN.rgb IN_SIZE OUT.rgb OUT_SIZE     (cv2.resize only)
Writes OUT_DIR/state{i}_512.rgb and OUT_DIR/state{i}_{SIZE}.rgb (HWC uint8).
"""
import math, os, sys
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import cv2
import numpy as np
import pygame

BAR = [(-60, 30), (60, 30), (60, 0), (-60, 0)]
STEM = [(-15, 30), (-15, 120), (15, 120), (15, 30)]


def to_pygame(p):
    return round(p[0]), round(p[1])


def light(c):
    v = np.minimum(np.float32(1.2) * np.float32(c), np.float32(255))
    return tuple(int(x) for x in v)


def place(verts, x, y, a):
    ca, sa = math.cos(a), math.sin(a)
    return [(x + vx * ca - vy * sa, y + vx * sa + vy * ca) for vx, vy in verts]


def fat_segment(screen, a, b, radius, color):
    p1, p2 = to_pygame(a), to_pygame(b)
    r = round(max(1, radius * 2))
    pygame.draw.lines(screen, color, False, [p1, p2], r)
    if r > 2:
        orthog = [abs(p2[1] - p1[1]), abs(p2[0] - p1[0])]
        if orthog[0] == 0 and orthog[1] == 0:
            return
        scale = radius / (orthog[0] * orthog[0] + orthog[1] * orthog[1]) ** 0.5
        orthog[0] = round(orthog[0] * scale)
        orthog[1] = round(orthog[1] * scale)
        pts = [(p1[0] - orthog[0], p1[1] - orthog[1]), (p1[0] + orthog[0], p1[1] + orthog[1]),
               (p2[0] + orthog[0], p2[1] + orthog[1]), (p2[0] - orthog[0], p2[1] - orthog[1])]
        pygame.draw.polygon(screen, color, pts)
        pygame.draw.circle(screen, color, (round(p1[0]), round(p1[1])), round(radius))
        pygame.draw.circle(screen, color, (round(p2[0]), round(p2[1])), round(radius))


def draw(ax, ay, bx, by, angle):
    screen = pygame.Surface((512, 512))
    screen.fill((255, 255, 255))
    green, slate, blue, gray = (144, 238, 144), (119, 136, 153), (65, 105, 225), (211, 211, 211)
    for verts in (BAR, STEM):
        pts = [to_pygame(p) for p in place(verts, 256, 256, math.pi / 4)]
        pygame.draw.polygon(screen, green, pts + [pts[0]])
    for verts in (BAR, STEM):
        world = place(verts, bx, by, angle)
        pts = [to_pygame(p) for p in world]
        pygame.draw.polygon(screen, light(slate), pts + [pts[0]])
        for i in range(len(world)):
            fat_segment(screen, world[i], world[(i + 1) % len(world)], 2, slate)
    p = to_pygame((ax, ay))
    pygame.draw.circle(screen, blue, p, 15, 0)
    pygame.draw.circle(screen, light(blue), p, 11, 0)
    for a, b in [((5, 506), (5, 5)), ((5, 5), (506, 5)), ((506, 5), (506, 506)), ((5, 506), (506, 506))]:
        fat_segment(screen, a, b, 2, gray)
    return np.ascontiguousarray(np.transpose(np.array(pygame.surfarray.pixels3d(screen)), axes=(1, 0, 2)))


def main():
    if sys.argv[1] == "--resize":
        n = int(sys.argv[3])
        img = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(n, n, 3)
        m = int(sys.argv[5])
        cv2.resize(img, (m, m)).astype(np.uint8).tofile(sys.argv[4])
        return
    out, size = sys.argv[1], int(sys.argv[2])
    values = [float(v) for v in sys.argv[3:]]
    for i in range(len(values) // 5):
        img = draw(*values[5 * i:5 * i + 5])
        img.tofile(os.path.join(out, f"state{i}_512.rgb"))
        cv2.resize(img, (size, size)).tofile(os.path.join(out, f"state{i}_{size}.rgb"))
    print(cv2.__version__, pygame.version.ver)


if __name__ == "__main__":
    main()
