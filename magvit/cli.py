"""The `magvit` command line: thin commands over the library."""

import sys
from pathlib import Path

import click

from magvit.runlock import DEFAULT_WAIT_S


@click.group()
@click.version_option(package_name="magvit-audit")
def main() -> None:
    """Train and evaluate a MAGVIT video tokenizer on synthetic trajectory videos."""


@main.group()
def data() -> None:
    """Make and validate synthetic trajectory video data sets."""


@data.command("make")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=Path("results/dataset.npz"),
              show_default=True, help="Where to write the npz data set.")
@click.option("--n", "n", type=click.IntRange(min=1), default=200, show_default=True, help="Number of clips.")
@click.option("--frames", type=click.IntRange(min=2), default=16, show_default=True, help="Frames per clip.")
@click.option("--size", type=click.IntRange(min=8), default=32, show_default=True, help="Frame height and width.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Generator seed.")
def data_make(out: Path, n: int, frames: int, size: int, seed: int) -> None:
    """Generate clips of disks on linear, ballistic, circular and sinusoidal paths (same arguments, same bytes)."""
    from magvit import data as dataset

    clips = dataset.generate(n=n, frames=frames, size=size, seed=seed)
    dataset.save(clips, out)
    click.echo(f"wrote {out}: {dataset.summary(clips)}")


@data.command("validate")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing <name>_validated.npz.")
def data_validate(path: Path, force: bool) -> None:
    """Check PATH (shape, dtype, range, NaN, visibility, balance, duplicates); write <name>_validated.npz if it passes.

    Exit 0 when every check passes, 1 listing every problem, 2 when PATH cannot be read
    or the output exists and --force is not given.
    """
    from magvit import data as dataset

    try:
        result = dataset.validate(path, force=force)
    except (dataset.DataFileError, FileExistsError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    if not result.passed:
        click.echo(f"{path}: {len(result.problems)} problem(s)")
        for problem in result.problems:
            click.echo(f"  - {problem}")
        raise SystemExit(1)
    click.echo(f"{path}: all checks passed; wrote {result.written}")


@data.command("import")
@click.option("--from", "source_dir", required=True, type=click.Path(path_type=Path),
              help="Folder of video files (mp4, webm, gif, ...) and image-sequence folders; sub-folders name labels.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The data set to write (.npz); its manifest goes beside it as NAME.manifest.json.")
@click.option("--frames", type=click.IntRange(min=1), default=16, show_default=True, help="Frames per clip.")
@click.option("--size", type=click.IntRange(min=1), default=32, show_default=True,
              help="Height and width: frames are centre-cropped to a square and resized.")
@click.option("--stride", type=click.IntRange(min=1), default=None,
              help="Frames between the starts of consecutive clips [default: --frames, no overlap].")
@click.option("--frame-step", type=click.IntRange(min=1), default=1, show_default=True,
              help="Keep every N-th frame of a source (e.g. 2 halves a 30 fps video's rate).")
@click.option("--force", is_flag=True, help="Overwrite an existing output and manifest.")
def data_import(source_dir: Path, out: Path, frames: int, size: int, stride: int | None, frame_step: int,
                force: bool) -> None:
    """Import a folder of videos into a data set the trainer reads, with a manifest tracing each
    clip to its source file and frame range.

    Undecodable, truncated or too-short sources are skipped and listed. Exit 0 when written,
    2 when nothing could be imported, the folder is missing, or the output exists without --force.
    """
    from magvit.video_import import VideoImportError, format_result, import_videos

    try:
        result = import_videos(source_dir, out, frames=frames, size=size, stride=stride, frame_step=frame_step,
                               force=force)
    except VideoImportError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(format_result(result))


@main.command("status")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object for programs.")
def status_command(run_dir: Path, as_json: bool) -> None:
    """Show a run's progress, last checkpoint and whether it is alive (reads files only).

    Exit codes: 0 finished, 10 running, 11 stalled (heartbeat older than 3 intervals, or
    the trainer's pid gone without a run_end event), 12 preempted, 13 failed, 2 not a run
    directory (or an unreadable progress.json).
    """
    import json

    from magvit.status import NOT_A_RUN_DIR, NotARunDirError, read_status, render_text

    try:
        result = read_status(run_dir)
    except NotARunDirError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(NOT_A_RUN_DIR) from exc
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else render_text(result))
    raise SystemExit(result.exit_code)


@main.command("train")
@click.option("--data", "data_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Dataset file made by `magvit data make`.")
@click.option("--run-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run directory: checkpoints, progress files, events, logs.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Epochs (overrides the config).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="YAML run config with `tokenizer:` and `train:` sections.")
@click.option("--checkpoint-every", default=None,
              help="Checkpoint interval: 90s, 2m, 500steps or 1epoch (overrides the config; default 2m).")
@click.option("--resume", default="auto", show_default=True,
              help="auto: continue from the newest valid checkpoint in --run-dir; never: start fresh "
                   "(refused when checkpoints exist); or the path of a checkpoint to continue from.")
@click.option("--time-limit", default=None,
              help="Stop after this long (90s, 30m, 2h) with a checkpoint, exit 0; the same command continues.")
@click.option("--stage", type=click.Choice(["tokenizer", "transformer"]), default=None,
              help="What to train (overrides the config's `stage:`; default tokenizer).")
@click.option("--tokenizer", "tokenizer_checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The frozen tokenizer checkpoint the transformer stage trains over (sets transformer.tokenizer_checkpoint).")
@click.option("--lock-wait", type=click.FloatRange(min=0), default=DEFAULT_WAIT_S, show_default=True,
              help="Seconds to wait for another process's lock on --run-dir to go (a relaunch racing "
                   "the old process's end) before refusing with exit 2.")
def train_command(data_path: Path, run_dir: Path, epochs: int | None, config_file: Path | None,
                  checkpoint_every: str | None, resume: str, time_limit: str | None, stage: str | None,
                  tokenizer_checkpoint: Path | None, lock_wait: float) -> None:
    """Train the video tokenizer, or the transformer over a trained tokenizer (--stage transformer
    --tokenizer CKPT), checkpointing and resuming automatically.

    Config precedence: defaults < --config < command-line options. Exit codes: 0 finished
    or stopped by --time-limit, 2 bad input, a run directory that contradicts the request or
    one that another live trainer holds (its lock), 3 internal error, 4 the final checkpoint
    could not be saved, 5 the loss became NaN or infinite (the run failed; nothing is saved
    after it), 130 / 143 stopped by SIGINT / SIGTERM after saving a checkpoint.
    """
    import traceback

    from magvit.config import ConfigError, RunConfig, load_run_config
    from magvit.train import TrainError, parse_duration, train

    try:
        config = load_run_config(config_file) if config_file else RunConfig()
        config = config.override(epochs=epochs, checkpoint_every=checkpoint_every)
        config = _with_stage(config, stage, tokenizer_checkpoint)
        limit = parse_duration(time_limit, "--time-limit") if time_limit else None
        result = train(data_path, run_dir, config, resume=resume, time_limit_s=limit, echo=click.echo,
                       lock_wait_s=lock_wait)
    except (ConfigError, TrainError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(getattr(exc, "exit_code", 2)) from exc
    except Exception as exc:  # noqa: BLE001 - an unexpected failure is an internal error, exit 3
        traceback.print_exc()
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        raise SystemExit(3) from exc
    raise SystemExit(result.exit_code)


def _with_stage(config, stage: str | None, tokenizer_checkpoint: Path | None):
    """The config with --stage and --tokenizer applied (the tokenizer path made absolute: the run may resume elsewhere)."""
    import dataclasses

    from magvit.config import ConfigError

    if stage is not None:
        config = dataclasses.replace(config, stage=stage)
    if tokenizer_checkpoint is not None:
        if config.stage != "transformer":
            raise ConfigError("--tokenizer: only the transformer stage trains over a tokenizer (add --stage transformer)")
        path = str(tokenizer_checkpoint.resolve())
        config = dataclasses.replace(config, transformer=dataclasses.replace(config.transformer, tokenizer_checkpoint=path))
    return config


@main.command("eval")
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A tokenizer or transformer checkpoint (.pt) written by `magvit train`.")
@click.option("--data", "data_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The data set the run trained on; its held-out clips are evaluated.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for recon_grid.png and eval.json [default: RUN_DIR/eval].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object for programs.")
@click.option("--tokenizer", "tokenizer_checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A transformer checkpoint's tokenizer, if it moved (its sha256 must match the recorded one).")
@click.option("--choice-temperature", type=click.FloatRange(min=0), default=None,
              help="A transformer's decoding: Gumbel noise on the ranking of sampled tokens [default: the config's].")
@click.option("--order", "decode_order", type=click.Choice(["joint", "frames"]), default=None,
              help="A transformer's decoding order [default: the config's].")
def eval_command(checkpoint: Path, data_path: Path, out_dir: Path | None, as_json: bool,
                 tokenizer_checkpoint: Path | None, choice_temperature: float | None, decode_order: str | None) -> None:
    """Held-out figures of CHECKPOINT. A tokenizer: PSNR, SSIM and codebook usage against the
    mean-frame baseline, and the disk's centroid error, visibility and per-channel colour error
    in the reconstructions. A transformer: masked-token top-1 accuracy, and the disk's centroid
    error, visibility and colour error by horizon, PSNR and SSIM of the predicted frames against
    copy-last-frame, constant-velocity extrapolation and the tokenizer's reconstruction, with a
    PNG chart (horizons.png) beside eval.json.

    Exit 0 when evaluated, 2 when the checkpoint or data cannot be used.
    """
    import json

    from magvit import evaluate as ev

    try:
        out = out_dir or ev.default_out_dir(checkpoint)
        if ev.checkpoint_stage(checkpoint) == "transformer":
            result = ev.evaluate_transformer(checkpoint, data_path, out_dir=out, tokenizer=tokenizer_checkpoint,
                                             choice_temperature=choice_temperature, decode_order=decode_order)
            table = ev.format_transformer_table
        else:
            result = ev.evaluate(checkpoint, data_path, out_dir=out)
            table = ev.format_table
    except ev.EvalError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(json.dumps(result.to_dict(), sort_keys=True) if as_json else table(result))


@main.command("quality")
@click.argument("eval_files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def quality_command(eval_files: tuple[Path, ...]) -> None:
    """Check the default configs' quality targets on eval.json files written by `magvit eval`
    (a tokenizer's and/or a transformer's). Exit 0 when every gated target is met (an ungated
    one missed prints MISS), 1 when a gated one is missed, 2 when a file cannot be read or lacks a figure.
    """
    from magvit.quality import QualityFileError, check, format_checks

    try:
        checks = check(list(eval_files))
    except QualityFileError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(format_checks(checks))
    missed = [c for c in checks if not c.passed and c.gated]
    if missed:
        click.echo(f"{len(missed)} of {len(checks)} quality targets missed", err=True)
        raise SystemExit(1)


@main.command("generate")
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A transformer checkpoint (.pt) written by `magvit train --stage transformer`.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the GIFs, PNG strips and generate.json.")
@click.option("--data", "data_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("results/dataset.npz"), show_default=True,
              help="The data set the run trained on; clips are taken from its held-out split.")
@click.option("--n", "n", type=click.IntRange(min=1), default=8, show_default=True, help="Held-out clips to predict.")
@click.option("--condition-frames", type=click.IntRange(min=1), default=None,
              help="Latent (token) frames given, each the tokenizer's temporal factor of video frames "
                   "[default: the number the transformer was trained with].")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="MaskGIT decoding steps [default: the config's].")
@click.option("--temperature", type=click.FloatRange(min=0), default=None,
              help="Sampling temperature of the first step, annealed to 0; 0 is greedy [default: the config's].")
@click.option("--choice-temperature", type=click.FloatRange(min=0), default=None,
              help="Gumbel noise on the ranking of sampled tokens, annealed to 0 [default: the config's].")
@click.option("--order", "decode_order", type=click.Choice(["joint", "frames"]), default=None,
              help="joint: every unknown token at once; frames: one latent frame after another [default: the config's].")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the sampling.")
@click.option("--tokenizer", "tokenizer_checkpoint", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The tokenizer checkpoint, if it moved (its sha256 must match the recorded one).")
def generate_command(checkpoint: Path, out_dir: Path, data_path: Path, n: int, condition_frames: int | None,
                     steps: int | None, temperature: float | None, choice_temperature: float | None,
                     decode_order: str | None, seed: int, tokenizer_checkpoint: Path | None) -> None:
    """Predict the rest of held-out clips from their first frames; write GIFs and PNG strips
    (ground truth, prediction, copy-last-frame baseline; predicted frames marked red), the
    object-aware scores by horizon against the baselines (generate.json, horizons.png).

    Exit 0 when written, 2 when the checkpoint, its tokenizer or the data cannot be used.
    """
    from magvit.generate import GenerateError, format_summary, generate

    try:
        summary = generate(checkpoint, data_path, out_dir, n=n, condition_frames=condition_frames, steps=steps,
                           temperature=temperature, seed=seed, tokenizer=tokenizer_checkpoint,
                           choice_temperature=choice_temperature, decode_order=decode_order)
    except GenerateError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(format_summary(summary))


# what the `train` extra brings (pyproject.toml); the auditor alone installs none of them
_TRAIN_EXTRA = ("torch", "numpy", "PIL", "matplotlib", "av")


def run() -> None:
    """The console script: `main`, with a clear exit 2 when the train extra is not installed."""
    try:
        main()
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _TRAIN_EXTRA:
            raise
        click.echo(f"magvit: this command needs {exc.name}, which the train extra installs: "
                   "pip install 'magvit-audit[train]'", err=True)
        sys.exit(2)
