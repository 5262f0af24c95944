"""Keras `model.fit(..., callbacks=[...])`: the loop is Keras', the policy is in the callbacks.

Small projects written here in the shapes Keras users write: `ModelCheckpoint(save_freq=N)`
saves every N batches (`"epoch"`, the default, every epoch; `save_best_only=True` only on an
improvement), `BackupAndRestore(backup_dir)` restores the whole training state at every fit's
start when a backup exists (a resume nobody has to ask for), `CSVLogger` writes a row an
epoch, `fit(verbose=2)` a line an epoch while the default progress bar reports every batch,
and a `keras.callbacks.Callback` subclass given to fit runs its hooks in Keras' loops.
"""

from __future__ import annotations

from auditor.model import Verdict
from tests.auditor.test_code_events import audit, cited

KERAS = """
    import argparse
    import json
    import os

    import keras


    class RunStatus(keras.callbacks.Callback):
        def __init__(self, run_dir):
            super().__init__()
            self.path = os.path.join(run_dir, "status.json")

        def on_epoch_end(self, epoch, logs=None):
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump({{"epoch": epoch + 1, "loss": float(logs["loss"])}}, f)
            os.replace(tmp, self.path)


    def main():
        p = argparse.ArgumentParser()
        p.add_argument("--run-dir", default="runs/a")
        p.add_argument("--ckpt-every", type=int, default=300, help="batches between saves")
        args = p.parse_args()
        model = build_model()
        callbacks = [
            {backup}keras.callbacks.ModelCheckpoint(os.path.join(args.run_dir, "ckpt-{{epoch:02d}}.keras"), {save}),
            keras.callbacks.CSVLogger(os.path.join(args.run_dir, "history.csv")),
            RunStatus(args.run_dir),
        ]
        model.fit(data, epochs=20, callbacks=callbacks{verbose})


    if __name__ == "__main__":
        main()
"""
BACKUP = 'keras.callbacks.BackupAndRestore(backup_dir=os.path.join(args.run_dir, "backup")),\n            '


def _keras(tmp_path, save="save_freq=args.ckpt_every", backup=BACKUP, verbose=", verbose=2"):
    return audit(tmp_path, {"train.py": KERAS.format(save=save, backup=backup, verbose=verbose)})


def test_a_model_checkpoint_every_n_batches_given_to_fit_is_a_periodic_save_in_steps(tmp_path):
    got = _keras(tmp_path)
    assert got["save"].verdict == Verdict.YES and "train.py:29" in cited(got["save"]), got["save"].summary
    interval = got["interval"]
    assert interval.verdict == Verdict.PARTIAL and "300 steps" in interval.summary, interval.summary
    assert "train.py:24" in cited(interval), cited(interval)


def test_backup_and_restore_is_a_resume_and_an_automatic_one(tmp_path):
    got = _keras(tmp_path)
    assert got["resume"].verdict == Verdict.YES and "train.py:28" in cited(got["resume"]), got["resume"].summary
    assert got["auto"].verdict == Verdict.YES and "train.py:28" in cited(got["auto"]), got["auto"].summary


def test_without_backup_and_restore_nothing_resumes(tmp_path):
    got = _keras(tmp_path, backup="")
    assert got["resume"].verdict == Verdict.NO, got["resume"].summary
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


def test_a_model_checkpoint_at_its_default_saves_every_epoch(tmp_path):
    got = _keras(tmp_path, save="verbose=1", backup="")
    assert got["save"].verdict == Verdict.YES, got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "epoch" in got["interval"].summary, got["interval"].summary


def test_a_model_checkpoint_of_the_best_model_only_is_not_periodic(tmp_path):
    got = _keras(tmp_path, save='save_best_only=True, monitor="val_loss"', backup="")
    assert got["save"].verdict == Verdict.PARTIAL and "best" in got["save"].summary, got["save"].summary
    assert got["interval"].verdict == Verdict.NO, got["interval"].summary


def test_fit_at_verbose_2_and_a_csv_logger_log_once_an_epoch(tmp_path):
    got = _keras(tmp_path)
    assert got["log"].verdict == Verdict.PARTIAL, got["log"].summary


def test_the_default_progress_bar_reports_every_batch(tmp_path):
    got = _keras(tmp_path, verbose="")
    assert got["log"].verdict == Verdict.YES and "train.py:33" in cited(got["log"]), got["log"].summary


def test_a_callback_subclass_given_to_fit_writes_progress_at_every_epoch_end(tmp_path):
    got = _keras(tmp_path)
    progress = got["progress"]
    assert progress.verdict == Verdict.YES and {"train.py:16", "train.py:18"} & cited(progress), progress.summary


def test_a_model_checkpoint_of_the_projects_own_is_not_keras(tmp_path):
    text = KERAS.format(save="save_freq=args.ckpt_every", backup="", verbose=", verbose=2").replace(
        "keras.callbacks.ModelCheckpoint(", "ModelCheckpoint(").replace(
        "class RunStatus",
        "class ModelCheckpoint:\n        def __init__(self, *a, **k):\n            pass\n\n\n    class RunStatus")
    got = audit(tmp_path, {"train.py": text})
    assert got["save"].verdict == Verdict.NO, got["save"].summary


def test_fit_of_a_file_that_does_not_import_keras_runs_no_callbacks(tmp_path):
    text = KERAS.format(save="save_freq=args.ckpt_every", backup=BACKUP, verbose="").replace(
        "import keras\n", "import otherlib as keras\n")
    got = audit(tmp_path, {"train.py": text})
    assert got["save"].verdict == Verdict.NO, got["save"].summary
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


OWN_TRAINER = """
    import tensorflow as tf


    class Trainer:
        def __init__(self, model):
            self.model = model

        def fit(self, data, epochs=1, callbacks=()):
            for epoch in range(epochs):
                for batch in data:
                    self.model.train_step(batch)


    def main():
        trainer = Trainer(build_model())
        trainer.fit(tf.data.Dataset.range(10), epochs=3)


    if __name__ == "__main__":
        main()
"""


def test_the_fit_of_a_trainer_class_of_ones_own_is_not_keras(tmp_path):
    got = audit(tmp_path, {"train.py": OWN_TRAINER})
    assert got["log"].verdict == Verdict.NO, got["log"].summary


def test_a_file_that_uses_tensorflow_without_keras_runs_no_keras_fit(tmp_path):
    text = OWN_TRAINER.replace("trainer = Trainer(build_model())", "trainer = build_trainer()")
    got = audit(tmp_path, {"train.py": text})
    assert got["log"].verdict == Verdict.NO, got["log"].summary


HELPER_BUILT = """
    import keras


    def make_callbacks(run_dir, every):
        callbacks = [keras.callbacks.CSVLogger(run_dir + "/history.csv")]
        callbacks.append(keras.callbacks.ModelCheckpoint(run_dir + "/ckpt-{epoch:02d}.keras", save_freq=every))
        return callbacks


    def main():
        model = build_model()
        model.fit(data, epochs=10, callbacks=make_callbacks("runs/a", 200), verbose=2)


    if __name__ == "__main__":
        main()
"""


def test_callbacks_a_helper_of_the_project_builds_are_the_fits(tmp_path):
    got = audit(tmp_path, {"train.py": HELPER_BUILT})
    assert got["save"].verdict == Verdict.YES and "train.py:7" in cited(got["save"]), got["save"].summary
    assert got["interval"].verdict == Verdict.PARTIAL and "200" in got["interval"].summary, got["interval"].summary


TF_LOOP = """
    import tensorflow as tf


    def main(steps=1000):
        net = build_model()
        opt = tf.keras.optimizers.Adam(1e-3)
        ckpt = tf.train.Checkpoint(step=tf.Variable(0), optimizer=opt, net=net)
        manager = tf.train.CheckpointManager(ckpt, "./tf_ckpts", max_to_keep=3)
        ckpt.restore({restored})
        for batch in dataset:
            with tf.GradientTape() as tape:
                loss = loss_fn(net(batch))
            grads = tape.gradient(loss, net.trainable_variables)
            opt.apply_gradients(zip(grads, net.trainable_variables))
            ckpt.step.assign_add(1)
            if int(ckpt.step) % 100 == 0:
                manager.save()
                print(f"step {{int(ckpt.step)}} loss {{float(loss):.4f}}")


    if __name__ == "__main__":
        main()
"""


def test_a_tensorflow_checkpoint_restored_from_the_managers_latest_resumes_by_itself(tmp_path):
    got = audit(tmp_path, {"train.py": TF_LOOP.format(restored="manager.latest_checkpoint")})
    assert got["save"].verdict == Verdict.YES and "train.py:18" in cited(got["save"]), got["save"].summary
    assert got["resume"].verdict == Verdict.YES and "train.py:10" in cited(got["resume"]), got["resume"].summary
    assert got["auto"].verdict == Verdict.YES, got["auto"].summary


def test_a_tensorflow_checkpoint_restored_from_a_path_given_is_no_automatic_resume(tmp_path):
    text = TF_LOOP.format(restored="resume").replace("def main(steps=1000):", "def main(resume=None):")
    text = text.replace("ckpt.restore(resume)", "if resume:\n            ckpt.restore(resume)")
    got = audit(tmp_path, {"train.py": text})
    assert got["resume"].verdict != Verdict.NO, got["resume"].summary  # a restore of the path given
    assert got["auto"].verdict == Verdict.NO, got["auto"].summary


WEIGHTS_RESUME = """
    import os

    import tensorflow as tf
    from tensorflow import keras


    def main(ckpt_dir="training"):
        model = build_model()
        latest = tf.train.latest_checkpoint(ckpt_dir)
        if latest:
            model.load_weights(latest)
        saver = keras.callbacks.ModelCheckpoint(os.path.join(ckpt_dir, "cp-{epoch:04d}.ckpt"), save_weights_only=True)
        model.fit(data, epochs=50, callbacks=[saver])


    if __name__ == "__main__":
        main()
"""


def test_the_latest_weights_loaded_at_start_up_are_an_automatic_resume_of_the_weights_only(tmp_path):
    got = audit(tmp_path, {"train.py": WEIGHTS_RESUME})
    assert got["auto"].verdict == Verdict.YES and "train.py:12" in cited(got["auto"]), got["auto"].summary
    assert got["resume"].verdict == Verdict.PARTIAL and "weights" in got["resume"].summary, got["resume"].summary
    assert got["save"].verdict == Verdict.YES, got["save"].summary
