#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed corpora of the fuzz targets (tests/fuzz/TARGET-corpus/).

Each seed is a small valid input in the target's own input format (see
the comment at the top of each TARGET-fuzz.c): a working request, a chain
of each kind, a good boot image of each kind.  The fuzzer mutates them
from there.  The QMP corpus (qmp-corpus/) is hand-written and not touched.

Usage: tests/fuzz/make-seeds.py   (rewrites the generated corpora)
"""
import gzip
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v): return struct.pack('<B', v)
def u16(v): return struct.pack('<H', v)
def u32(v): return struct.pack('<I', v)
def u64(v): return struct.pack('<Q', v)


def write_corpus(target, seeds):
    d = os.path.join(HERE, target + '-corpus')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


# ---- migration: a recipe of records (migration-fuzz.c) ----
def rec(kind, payload=b''):
    return u8(kind) + u16(len(payload)) + payload


def pages(idx, first, count, zero_map, data):
    return u32(idx) + u64(first) + u32(count) + zero_map + data


def migration():
    page = bytes(range(256)) * 16
    good = (u8(0) + rec(0x40) + rec(2, pages(0, 0, 2, b'\x02', page)) +
            rec(2, pages(1, 3, 1, b'\x00', page)) +
            rec(0x80) + rec(0x81) + rec(0x82) + rec(0x20))
    return {
        'full-stream': good,
        'layout-end': u8(0) + rec(0x40) + rec(0x20),
        'states-xored': u8(0) + rec(0x40) + rec(0x80, b'\x00' * 8 + b'\x03abc') +
                        rec(0x81, b'\x00' * 12 + b'\xff') + rec(0x82, b'\x00\x00\x00\x00\x01') +
                        rec(0x20),
        'zero-pages': u8(0) + rec(0x40) + rec(2, pages(0, 0, 16, b'\xff\xff', b'')) + rec(0x20),
        'raw-header': u8(1) + b'QVMMSTRM' + u32(1) + u32(0),
        'bad-crc': u8(4) + rec(0x40) + rec(0x20),
        'unknown-state': u8(0) + rec(0x40) + rec(3, u16(4) + b'nope' + u32(0) + u32(1)) +
                         rec(0x20),
    }


# ---- virtqueue: header, guest image, operations (virtqueue-fuzz.c) ----
DESC, AVAIL, USED = 0x100, 0x200, 0x300   # small images: short inputs, fast runs
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
OP_POP, OP_PUSH, OP_UNPOP, OP_FILL, OP_NOTIF, OP_SHOULD, OP_EMPTY, OP_POKE, OP_RESET = range(9)


def desc(addr, length, flags=0, nxt=0):
    return u64(addr) + u32(length) + u16(flags) + u16(nxt)


def vq_image(descs, heads, avail_idx=None, extra=()):
    img = bytearray(0x300)
    for i, d in enumerate(descs):
        img[DESC + 16 * i:DESC + 16 * i + 16] = d
    ring = b''.join(u16(h) for h in heads)
    img[AVAIL:AVAIL + 4 + len(ring)] = u16(0) + u16(len(heads) if avail_idx is None
                                                      else avail_idx) + ring
    for addr, data in extra:
        if addr + len(data) > len(img):
            img.extend(b'\0' * (addr + len(data) - len(img)))
        img[addr:addr + len(data)] = data
    return bytes(img)


def vq_seed(flags, lnum, image, ops):
    return (u8(flags) + u8(lnum) + u32(DESC) + u32(AVAIL) + u32(USED) + u16(len(image)) +
            image + ops)


def virtqueue():
    simple = vq_image([desc(0x4000, 512, F_NEXT, 1), desc(0x5000, 256, F_WRITE)], [0])
    indirect = vq_image([desc(0x600, 48, F_INDIRECT)], [0], extra=[
        (0x600, desc(0x4000, 16, F_NEXT, 1) + desc(0x5000, 512, F_WRITE | F_NEXT, 2) +
         desc(0x5200, 1, F_WRITE))])
    crossing = vq_image([desc(0xff00, 0x200, F_WRITE), desc(0x30000, 64)], [0, 1])
    many = vq_image([desc(0x4000 + 0x100 * i, 64, F_WRITE) for i in range(8)], list(range(8)))
    return {
        'two-descs': vq_seed(0, 3, simple, u8(OP_POP) + u8(OP_PUSH) + u32(100) + u8(OP_POP) +
                             u8(OP_SHOULD)),
        'indirect': vq_seed(2, 3, indirect, u8(OP_POP) + u8(OP_PUSH) + u32(513)),
        'across-regions': vq_seed(0, 3, crossing, u8(OP_POP) + u8(OP_POP) + u8(OP_FILL) +
                                  u8(1) + u16(4) + u16(0)),
        'event-idx': vq_seed(1, 4, many, u8(OP_NOTIF) + u8(1) + bytes([OP_POP] * 4) +
                             u8(OP_FILL) + u8(3) + u16(1) * 4 + u8(OP_SHOULD) +
                             u8(OP_POKE) + u8(1) + u16(2) + u16(9) + u8(OP_POP) +
                             u8(OP_EMPTY) + u8(OP_RESET) + u8(OP_POP)),
        'unpop': vq_seed(0, 3, simple, u8(OP_POP) + u8(OP_UNPOP) + u8(OP_POP) + u8(OP_PUSH) +
                         u32(0)),
        'bad-avail-idx': vq_seed(0, 3, vq_image([desc(0x4000, 8)], [0], avail_idx=100),
                                 u8(OP_POP) + u8(OP_POP) + u8(OP_EMPTY)),
        'loop': vq_seed(0, 1, vq_image([desc(0x4000, 8, F_NEXT, 0)], [0]), u8(OP_POP)),
    }


# ---- virtio-mmio: register accesses and RAM writes (virtio-mmio-fuzz.c) ----
def mw(dev, off, val):
    return u8(0x21 | dev << 2) + u16(off) + u32(val)


def mr(dev, off, width=4):
    return u8({1: 0x00, 2: 0x10, 4: 0x20, 8: 0x30}[width] | dev << 2) + u16(off)


def ram(addr, val):
    assert addr % 4 == 0
    return u8(2) + u16(addr // 4) + u64(val)


def pause(n=7):
    return u8(3) + u8(n)


def bring_up(dev, descs, avail):
    s = (mr(dev, 0x0) + mr(dev, 0x8) + mw(dev, 0x70, 0) + mw(dev, 0x70, 1) + mw(dev, 0x70, 3) +
         mw(dev, 0x14, 1) + mr(dev, 0x10) + mw(dev, 0x24, 1) + mw(dev, 0x20, 1) +
         mw(dev, 0x70, 11) + mr(dev, 0x70) + mw(dev, 0x30, 0) + mr(dev, 0x34) +
         mw(dev, 0x38, 8) + mw(dev, 0x80, 0x1000) + mw(dev, 0x84, 0) + mw(dev, 0x90, 0x2000) +
         mw(dev, 0x94, 0) + mw(dev, 0xa0, 0x3000) + mw(dev, 0xa4, 0) + mw(dev, 0x44, 1) +
         mw(dev, 0x70, 15))
    for i, (addr, length, flags, nxt) in enumerate(descs):
        s += ram(0x1000 + 16 * i, addr) + ram(0x1008 + 16 * i, length | flags << 32 | nxt << 48)
    s += ram(0x2000, avail)
    return s


def virtio_mmio():
    rng = bring_up(0, [(0x4000, 64, F_WRITE, 0)], 1 << 16) + mw(0, 0x50, 0) + pause() + \
        pause() + mr(0, 0x60) + mw(0, 0x64, 1)
    blk_read = bring_up(1, [(0x4000, 16, F_NEXT, 1), (0x5000, 512, F_WRITE | F_NEXT, 2),
                            (0x6000, 1, F_WRITE, 0)], 1 << 16) + \
        ram(0x4000, 0) + ram(0x4008, 0) + mr(1, 0x100, 8) + mw(1, 0x50, 0) + pause() + \
        pause() + mr(1, 0x60) + mw(1, 0x64, 1)
    blk_write = bring_up(1, [(0x4000, 16, F_NEXT, 1), (0x5000, 512, F_NEXT, 2),
                             (0x6000, 1, F_WRITE, 0)], 1 << 16) + \
        ram(0x4000, 1) + ram(0x4008, 3) + ram(0x5000, 0x1122334455667788) + \
        mw(1, 0x50, 0) + pause() + pause()
    config = mr(1, 0xfc) + b''.join(mr(1, 0x100 + o, w) for o, w in
                                     ((0, 8), (8, 4), (0x14, 2), (0x20, 1), (0x1fe, 4))) + \
        mw(1, 0x100, 5) + mr(0, 0x100)
    return {
        'rng-request': rng,
        'blk-read': blk_read,
        'blk-write': blk_write,
        'blk-config': config,
        'widths': b''.join(mr(d, o, w) for d in (0, 1) for o in (0, 2, 0x70, 0x1fc)
                           for w in (1, 2, 4, 8)),
    }


# ---- gicv2: configuration and operations (gicv2-fuzz.c) ----
def gic_rw(write, cpu_frame, off, width, cpu, val=0):
    op = (1 if write else 0) | (0x10 if cpu_frame else 0)
    s = u8(op) + u16(off) + u8({1: 0, 2: 1, 4: 2, 8: 3}[width]) + u8(cpu + 1)
    if write:
        s += u64(val) if width == 8 else u32(val)
    return s


def gicv2():
    setup = (gic_rw(1, 0, 0x0, 4, 0, 3) + gic_rw(1, 0, 0x104, 4, 0, 1 << 8) +
             gic_rw(1, 0, 0x428, 1, 0, 0x80) + gic_rw(1, 0, 0x828, 1, 0, 1) +
             gic_rw(1, 1, 0x0, 4, 0, 1) + gic_rw(1, 1, 0x4, 4, 0, 0xff) +
             gic_rw(1, 1, 0x0, 4, 1, 1) + gic_rw(1, 1, 0x4, 4, 1, 0xff))
    spi = (setup + u8(2) + u16(40) + u8(1) + u8(7) + gic_rw(0, 1, 0xc, 4, 0) + u8(7) +
           gic_rw(1, 1, 0x10, 4, 0, 40) + u8(2) + u16(40) + u8(0) + u8(7) + u8(6))
    sgi = (setup + gic_rw(1, 0, 0x100, 4, 0, 0xffff) + gic_rw(1, 0, 0xf00, 4, 1, 1 << 16 | 3) +
           u8(7) + gic_rw(0, 1, 0xc, 4, 0) + u8(6) + gic_rw(1, 1, 0x10, 4, 0, 1 << 10 | 3) +
           u8(7))
    ppi = (setup + gic_rw(1, 0, 0x100, 4, 1, 1 << 27) + u8(4) + u8(1) + u8(27) + u8(1) +
           u8(7) + gic_rw(0, 1, 0xc, 4, 1) + u8(6) + u8(5) + u8(7))
    groups = (setup + gic_rw(1, 0, 0x84, 4, 0, 0xffffffff) + gic_rw(1, 1, 0x0, 4, 0, 0x1f) +
              u8(2) + u16(40) + u8(1) + gic_rw(0, 1, 0x20, 4, 0) + gic_rw(0, 1, 0xc, 4, 0) +
              u8(6) + u8(7))
    regs = b''.join(gic_rw(0, f, o, w, c) for f in (0, 1) for o in (0, 4, 8, 0x80, 0x400,
                    0x800, 0xc00, 0xf10, 0xffc, 0xfe8) for w in (1, 4, 8) for c in (0, 2))
    return {
        'spi': u8(1) + u16(32) + spi,
        'sgi': u8(1) + u16(32) + sgi,
        'ppi-timer': u8(1) + u16(32) + ppi,
        'groups': u8(1) + u16(32) + groups,
        'registers': u8(7) + u16(988) + regs,
    }


# ---- loaders: flags, initrd, kernel (loaders-fuzz.c) ----
def bzimage():
    setup = bytearray(5 * 512)
    setup[0x1f1] = 4                                    # setup_sects
    setup[0x1fe:0x200] = u16(0xaa55)
    setup[0x201] = 0x6a
    setup[0x202:0x206] = b'HdrS'
    setup[0x206:0x208] = u16(0x020f)
    setup[0x211] = 1                                    # LOADED_HIGH
    setup[0x22c:0x230] = u32(0x2fffffff)                # initrd_addr_max
    setup[0x230:0x234] = u32(0x200000)                  # kernel_alignment
    setup[0x236:0x238] = u16(1)                         # XLF_KERNEL_64
    setup[0x238:0x23c] = u32(255)                       # cmdline_size
    setup[0x260:0x264] = u32(1 << 20)                   # init_size
    return bytes(setup) + b'\xcc' * 2048


def elf64(phdrs, body_at, body, machine=62):
    eh = (b'\x7fELF' + bytes([2, 1, 1]) + bytes(9) + u16(2) + u16(machine) + u32(1) +
          u64(0x100000) + u64(64) + u64(0) + u32(0) + u16(64) + u16(56) + u16(len(phdrs)) +
          u16(64) + u16(0) + u16(0))
    img = bytearray(eh + b''.join(phdrs))
    for off, data in body_at:
        img.extend(b'\0' * max(0, off + len(data) - len(img)))
        img[off:off + len(data)] = data
    return bytes(img) + body


def phdr64(ptype, offset, paddr, filesz, memsz):
    return (u32(ptype) + u32(7) + u64(offset) + u64(paddr) + u64(paddr) + u64(filesz) +
            u64(memsz) + u64(0x1000))


def pvh():
    note = u32(4) + u32(4) + u32(18) + b'Xen\0' + u32(0x100000)
    return elf64([phdr64(1, 0x1000, 0x100000, 0x200, 0x3000), phdr64(4, 0x800, 0, len(note),
                  len(note))], [(0x800, note), (0x1000, b'\x90' * 0x200)], b'')


def multiboot_kludge():
    flags = 0x00010003
    hdr = u32(0x1badb002) + u32(flags) + u32((-(0x1badb002 + flags)) & 0xffffffff)
    hdr += u32(0x100000) + u32(0x100000) + u32(0x101000) + u32(0x102000) + u32(0x100020)
    return hdr + b'\x90' * (0x1000 - len(hdr))


def multiboot_elf():
    flags = 0x00000003
    hdr = u32(0x1badb002) + u32(flags) + u32((-(0x1badb002 + flags)) & 0xffffffff)
    eh = (b'\x7fELF' + bytes([1, 1, 1]) + bytes(9) + u16(2) + u16(3) + u32(1) +
          u32(0x100000) + u32(52) + u32(0) + u32(0) + u16(52) + u16(32) + u16(1) + u16(40) +
          u16(0) + u16(0))
    ph = u32(1) + u32(0x1000) + u32(0x100000) + u32(0x100000) + u32(0x100) + u32(0x2000) + \
        u32(7) + u32(0x1000)
    img = bytearray(0x1100)
    img[0:len(eh) + len(ph)] = eh + ph
    img[0x1000:0x1000 + len(hdr)] = hdr
    return bytes(img)


def arm64_image(size=0x4000, image_size=0x10000):
    hdr = (u32(0x14000010) + u32(0) + u64(0) + u64(image_size) + u64(0xa) + u64(0) + u64(0) +
           u64(0) + u32(0x644d5241) + u32(0))
    return hdr + b'\x1f\x20\x03\xd5' * ((size - len(hdr)) // 4)


def loaders():
    initrd = b'initrd' * 10
    return {
        'bzimage': u8(4) + u16(len(initrd)) + initrd + bzimage(),
        'pvh': u8(2) + u16(len(initrd)) + initrd + pvh(),
        'multiboot-kludge': u8(0x18 | 4) + u16(len(initrd)) + initrd + multiboot_kludge(),
        'multiboot-elf': u8(0x08) + u16(0) + multiboot_elf(),
        'arm64-image': u8(1 | 4) + u16(len(initrd)) + initrd + arm64_image(),
        'arm64-image-gz': u8(1 | 6) + u16(0) + gzip.compress(arm64_image(), mtime=0),
    }


if __name__ == '__main__':
    write_corpus('migration', migration())
    write_corpus('virtqueue', virtqueue())
    write_corpus('virtio-mmio', virtio_mmio())
    write_corpus('gicv2', gicv2())
    write_corpus('loaders', loaders())
