#!/usr/bin/env bash
# train-weights.sh - retrain every shipped 2-D diffusion model into web/weights/, reproducibly.
#
#   bash scripts/train-weights.sh [BUILD_DIR]     (default build/native; built if missing)
#   TD_TRAIN_JOBS=1 bash scripts/train-weights.sh  one model at a time (default: all at once)
#
# Each model: the ring8 data set, an eps-prediction MLP [x, 32-dim time embedding] ->
# 3 x 128 SiLU -> 2, batch 512, 40,000 AdamW steps (lr 2e-3, warm-up 200, cosine to 1%),
# EMA 0.999 (the shipped weights), seed 0. The same binary and seed on the same CPU give
# the same bytes (another SIMD path may round differently). Each model costs about 80 s
# of one core (about 500 steps/s, AVX-512 path); the five run side by side, so on two idle
# cores the whole script takes about 3.5 minutes (measured: 7.5 to 21 minutes wall while
# sharing the 2-core machine with other jobs). The wall and CPU time of each model are
# printed at the end. Logs: $TMPDIR/thinkdiff-weights/NAME.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build/native}
if [ ! -x "$BUILD/thinkdiff" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target thinkdiff_cli >/dev/null
fi
OUT=$ROOT/web/weights
LOGS=${TMPDIR:-/tmp}/thinkdiff-weights
mkdir -p "$OUT" "$LOGS"
STEPS=${TD_TRAIN_STEPS:-40000}
JOBS=${TD_TRAIN_JOBS:-5}

# name           --model and options
MODELS=(
    "ddpm-linear  --model ddpm --schedule linear"
    "ddpm-cosine  --model ddpm --schedule cosine"
    "vp           --model vp"
    "subvp        --model subvp"
    "ve           --model ve"
)
train_one() {  # NAME ARGS...
    local name=$1
    shift
    local began=$SECONDS
    # `time -p` puts the CPU time ("user") at the end of the log.
    { time -p "$BUILD/thinkdiff" train toy "$@" --data ring8 --steps "$STEPS" --batch 512 \
        --lr 0.002 --seed 0 --out "$OUT/ring8-$name.safetensors"; } >"$LOGS/$name.log" 2>&1
    echo "$name: done in $((SECONDS - began)) s ($(awk '/^user/ {print $2}' "$LOGS/$name.log") s CPU)"
}
began=$SECONDS
running=0
for row in "${MODELS[@]}"; do
    read -r name args <<<"$row"
    echo "training $name ..."
    # shellcheck disable=SC2086
    train_one "$name" $args &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
echo "all models in $((SECONDS - began)) s wall time"
for row in "${MODELS[@]}"; do
    read -r name _ <<<"$row"
    grep -q '^saved ' "$LOGS/$name.log" || { echo "train-weights.sh: $name failed, see $LOGS/$name.log" >&2; exit 1; }
done

# ---- coloured digits (issue 4): the MNIST cache, then one model at a time --------------
bash "$ROOT/scripts/fetch-mnist.sh"
MNIST=$ROOT/.cache/mnist/mnist-10k.bin
# The evaluation classifier: conv net, batch 64, 3,000 steps, seed 1; about 125 s of one
# core (~24 steps/s). Prints its accuracy on the 1,000 coloured test digits (98.8%).
began=$SECONDS
"$BUILD/thinkdiff" train digits --model classifier --data "$MNIST" --steps 3000 --batch 64 \
    --lr 0.002 --seed 1 --quiet --out "$OUT/classifier.safetensors"
echo "classifier: done in $((SECONDS - began)) s"

# Digit generators (src/cli/cli_digit_models.c, models/digit_vae.h), each from its fixed
# seed with the command's defaults: the unconditional VAE (Bernoulli ink + Gaussian colour
# likelihood, Z 16, hidden 384, beta 0.01; 8,000 steps of 128 digits, seed 1), the class-
# and-colour-conditional VAE (style: the encoder is told the class; Z 4, hidden 256, beta
# 1.45; 4,000 steps, seed 2; widths from td_digit_vae_defaults, --width overrides them),
# then latent diffusion in the VAE's latent space (6,000 steps of 256 latents, seed 3; it
# encodes 8 colourings of the train digits with the VAE first, and records the VAE's
# fingerprint). The same binary and seed give the same bytes. Measured one at a time on
# the shared, loaded 2-core machine (wall / CPU): VAE 148 s / 137 s, CVAE 46 s / 46 s,
# latent 49 s / 49 s. Re-running the VAE row gave identical bytes.
for row in "vae 1" "cvae 2"; do
    read -r model seed <<<"$row"
    began=$SECONDS
    "$BUILD/thinkdiff" train digits --model "$model" --data "$MNIST" --seed "$seed" --quiet \
        --out "$OUT/digit_$model.safetensors"
    echo "digit $model: done in $((SECONDS - began)) s"
done
began=$SECONDS
"$BUILD/thinkdiff" train digits --model latent --data "$MNIST" --vae "$OUT/digit_vae.safetensors" --seed 3 \
    --quiet --out "$OUT/digit_latent.safetensors"
echo "digit latent: done in $((SECONDS - began)) s"
