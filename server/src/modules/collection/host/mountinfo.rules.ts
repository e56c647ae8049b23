/** Upstream node_exporter's default --collector.filesystem.fs-types-exclude: pseudo and image filesystems. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/;

/** Upstream node_exporter's default --collector.filesystem.mount-points-exclude (Debian's build excludes more). */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  readonly: boolean;
}

/** The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040` and so on). */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * /proc/self/mountinfo (proc(5)): "id parent major:minor root mountpoint options [optional…] -
 * fstype source super-options". The optional fields vary in number, so the part after the
 * lone "-" is found by position of that separator.
 */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const separator = fields.indexOf("-", 6);
    const [mountpoint, options] = [fields[4], fields[5]];
    const [fstype, source, superOptions] = [fields[separator + 1], fields[separator + 2], fields[separator + 3]];
    if (separator < 0 || mountpoint === undefined || options === undefined || fstype === undefined || source === undefined) continue;
    // /proc/mounts, which node_exporter reads, says "ro" if either the mount or its superblock is read-only.
    const readonly = [options, superOptions ?? ""].some((list) => list.split(",").includes("ro"));
    mounts.push({ device: unescapeOctal(source), mountpoint: unescapeOctal(mountpoint), fstype: unescapeOctal(fstype), readonly });
  }
  return mounts;
}

export interface MountFilter {
  fsTypesExclude: RegExp;
  mountPointsExclude: RegExp;
}

export const DEFAULT_MOUNT_FILTER: MountFilter = { fsTypesExclude: DEFAULT_FS_TYPES_EXCLUDE, mountPointsExclude: DEFAULT_MOUNT_POINTS_EXCLUDE };

/**
 * Drops excluded types and mount points, and keeps one mount per (device, mountpoint, fstype):
 * a repeated triple would be a duplicate series. The later line's options win because a later
 * mount on the same path hides the earlier one, and statfs() sees the visible one.
 */
export function selectMounts(mounts: readonly Mount[], filter: MountFilter = DEFAULT_MOUNT_FILTER): Mount[] {
  const byKey = new Map<string, Mount>();
  for (const mount of mounts) {
    if (filter.fsTypesExclude.test(mount.fstype) || filter.mountPointsExclude.test(mount.mountpoint)) continue;
    const key = JSON.stringify([mount.device, mount.mountpoint, mount.fstype]);
    byKey.set(key, mount);
  }
  return [...byKey.values()];
}
