#!/usr/bin/env bash
# Makes sure Debian's ffmpeg (ffmpeg and ffprobe) is installed for the video and audio tests
# (tests/integration/api_video.rs makes its clips with it, and the server reads them with it),
# installing it with apt-get when it is missing (CI runs as root; elsewhere through sudo if
# there is one). Prints the path of ffprobe.
#
#   tests/support/ffmpeg.sh
#
# ffmpeg is an optional runtime dependency of the server (README: Video and audio).
set -euo pipefail
if ! command -v ffprobe >/dev/null 2>&1 || ! command -v ffmpeg >/dev/null 2>&1; then
  echo "installing ffmpeg (apt-get) for the video and audio tests" >&2
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "ffmpeg/ffprobe are missing and this user cannot install them: run \`apt-get install -y ffmpeg\` as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A stale package list cannot find the current ffmpeg: refresh it first.
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends ffmpeg >&2
fi
if ! command -v ffprobe >/dev/null 2>&1; then
  echo "ffmpeg was installed but ffprobe is not on PATH" >&2
  exit 1
fi
command -v ffprobe
