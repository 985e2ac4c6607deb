// CRIU's file images, read for what Godwit must know of a dump's files: which open files were
// dumped through a link remap (a temporary hard link CRIU made because the file's own name
// was gone, see activities/host/link-remaps.ts). files.img holds every open file (FileEntry,
// a RegFileEntry inside for regular files) and remap-fpath.img says which file reopens
// through which other one (images/fdinfo.proto, regfile.proto, remap-file-path.proto).
import { walkMessage } from './protobuf-wire';

/** Magic words of CRIU's images (criu/include/magic.h). */
const IMG_COMMON_MAGIC = 0x54564319;
export const FILES_MAGIC = 0x56303138;
export const REMAP_FPATH_MAGIC = 0x59133954;

/** remap_type in remap-file-path.proto; images without it flag a ghost with this bit of remap_id. */
const REMAP_LINKED = 0;
const REMAP_GHOST_BIT = 0x80000000;

/** CRIU names each link remap `link_remap.<id>`, in the directory of the name that was removed. */
const LINK_REMAP_NAME = /^link_remap\.\d+$/;

/** The messages of a CRIU image: two magic words, then a 32-bit length before each message. */
export function imageEntries(image: Buffer, magic: number, what: string): Buffer[] {
  if (image.length < 8 || image.readUInt32LE(0) !== IMG_COMMON_MAGIC || image.readUInt32LE(4) !== magic) {
    throw new Error(`${what} is not the CRIU image it should be (magic)`);
  }
  const entries: Buffer[] = [];
  for (let pos = 8; pos < image.length; ) {
    if (pos + 4 > image.length) throw new Error(`${what}: truncated entry length`);
    const size = image.readUInt32LE(pos);
    if (pos + 4 + size > image.length) throw new Error(`${what}: truncated entry`);
    entries.push(image.subarray(pos + 4, pos + 4 + size));
    pos += 4 + size;
  }
  return entries;
}

interface RegularFile {
  name: string;
  /** Size at the dump, if CRIU stored it (for validation on restore). */
  size: number | null;
}

/** Regular files by their id in files.img (FileEntry.reg: id 1, name 6, size 8). */
function regularFiles(filesImg: Buffer): Map<number, RegularFile> {
  const files = new Map<number, RegularFile>();
  for (const entry of imageEntries(filesImg, FILES_MAGIC, 'files.img')) {
    walkMessage(entry, 'files.img', (field, value) => {
      if (field !== 3 || !Buffer.isBuffer(value)) return;
      const file: RegularFile & { id?: number } = { name: '', size: null };
      walkMessage(value, 'files.img', (f, v) => {
        if (f === 1 && typeof v === 'number') file.id = v;
        if (f === 6 && Buffer.isBuffer(v)) file.name = v.toString('utf8');
        if (f === 8 && typeof v === 'number') file.size = v;
      });
      if (file.id !== undefined) files.set(file.id, { name: file.name, size: file.size });
    });
  }
  return files;
}

/** One file the dump reopens through a link remap. Paths are inside the container's mounts. */
export interface LinkRemap {
  /** The temporary name CRIU made, e.g. /tmp/link_remap.6. */
  link: string;
  /** The name the file was opened by, now removed, e.g. /tmp/linked.orig. */
  original: string;
  /** The file's size at the dump, when CRIU stored it. */
  size: number | null;
}

/**
 * An absolute path of plain components ending in CRIU's link-remap name: the only kind of
 * path Godwit will create or remove for a link remap, whatever an image says.
 */
export function isLinkRemapPath(p: string): boolean {
  const parts = p.split('/');
  return p.startsWith('/') && parts.slice(1).every((c) => c !== '' && c !== '.' && c !== '..' && !c.includes('\0')) && LINK_REMAP_NAME.test(parts[parts.length - 1]);
}

/** The dump's link remaps, from its files.img and remap-fpath.img. */
export function parseLinkRemaps(filesImg: Buffer, remapImg: Buffer): LinkRemap[] {
  const files = regularFiles(filesImg);
  const remaps: LinkRemap[] = [];
  for (const entry of imageEntries(remapImg, REMAP_FPATH_MAGIC, 'remap-fpath.img')) {
    // Fields 1-3: orig_id, remap_id, remap_type.
    const ids: { orig?: number; remap?: number; type?: number } = {};
    walkMessage(entry, 'remap-fpath.img', (field, value) => {
      if (typeof value !== 'number') return;
      if (field === 1) ids.orig = value;
      if (field === 2) ids.remap = value;
      if (field === 3) ids.type = value;
    });
    const { orig: origId, remap: remapId, type } = ids;
    if (origId === undefined || remapId === undefined) throw new Error('remap-fpath.img: an entry without its ids');
    const linked = type === undefined ? (remapId & REMAP_GHOST_BIT) === 0 : type === REMAP_LINKED;
    if (!linked) continue;
    const link = files.get(remapId);
    const original = files.get(origId);
    if (!link || !original) throw new Error(`files.img lacks file ${link ? origId : remapId} named in remap-fpath.img`);
    // CRIU writes names from the container's root, with or without the leading slash.
    const absolute = (name: string) => (name.startsWith('/') ? name : `/${name}`);
    const remap = { link: absolute(link.name), original: absolute(original.name), size: original.size };
    if (!isLinkRemapPath(remap.link)) throw new Error(`remap-fpath.img names ${JSON.stringify(remap.link)}, not a link_remap.<id> path`);
    remaps.push(remap);
  }
  return remaps;
}
