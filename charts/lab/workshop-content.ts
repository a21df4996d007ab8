/**
 * How the workshop reaches a learner's home: the lab image carries the notebooks and datasets
 * in `/opt/labkit/workshop`; an init container copies each file into `~/workshop` once. A file
 * that was copied before is never copied again, so a restart neither overwrites a learner's
 * edits nor brings back a notebook they deleted, while files added by a newer image still arrive.
 */

/** Where the lab image keeps the workshop (images/lab/Dockerfile copies it there). */
export const WORKSHOP_SOURCE_DIR = "/opt/labkit/workshop";

/** Hidden file in the target folder listing every file already copied, one relative path a line. */
export const WORKSHOP_COPIED_LIST = ".labkit-copied";

/**
 * POSIX shell script that copies `$LABKIT_WORKSHOP_SOURCE` into `$LABKIT_WORKSHOP_TARGET`, each
 * file at most once. Runs as the learner (no root), with only `sh`, `find`, `grep`, `cp`, `mkdir`.
 */
export const WORKSHOP_COPY_SCRIPT = `set -eu
src="$LABKIT_WORKSHOP_SOURCE"
dst="$LABKIT_WORKSHOP_TARGET"
list="$dst/${WORKSHOP_COPIED_LIST}"
mkdir -p "$dst"
touch "$list"
cd "$src"
find . -type f | sed 's|^\\./||' | sort | while IFS= read -r f; do
  if grep -qxF -- "$f" "$list"; then continue; fi
  if [ ! -e "$dst/$f" ]; then
    mkdir -p "$dst/$(dirname "$f")"
    cp "$f" "$dst/$f"
    echo "workshop: copied $f"
  fi
  printf '%s\\n' "$f" >> "$list"
done
`;
