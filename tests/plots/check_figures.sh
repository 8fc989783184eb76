#!/usr/bin/env bash
# Checks that DIR/NAME.FORMAT exists, is not empty and is a file of its format, for every NAME
# and every FORMAT of the comma-separated list (png: the PNG signature; pdf: starts with %PDF-;
# svg: has an <svg element and a closing </svg>). Exit 1 with one line per bad file.
#   check_figures.sh DIR png,pdf,svg NAME...
set -uo pipefail
dir="$1"; formats="$2"; shift 2
bad=0 count=0
for name in "$@"; do
  for fmt in ${formats//,/ }; do
    f="$dir/$name.$fmt"
    count=$((count + 1))
    if [ ! -s "$f" ]; then echo "check_figures: $f missing or empty"; bad=1; continue; fi
    case "$fmt" in
      png) [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "check_figures: $f is not a PNG"; bad=1; } ;;
      pdf) [ "$(head -c 5 "$f")" = "%PDF-" ] && tail -c 1024 "$f" | grep -q '%%EOF' || { echo "check_figures: $f is not a complete PDF"; bad=1; } ;;
      svg) grep -q '<svg' "$f" && grep -q '</svg>' "$f" || { echo "check_figures: $f is not a complete SVG"; bad=1; } ;;
      *) echo "check_figures: unknown format $fmt"; bad=1 ;;
    esac
  done
done
[ "$bad" -eq 0 ] && echo "check_figures: $count files ok in $dir"
exit "$bad"
