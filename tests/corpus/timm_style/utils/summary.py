import csv
import os
from collections import OrderedDict


def get_outdir(path, *paths, inc=False):
    outdir = os.path.join(path, *paths)
    if not os.path.exists(outdir):
        os.makedirs(outdir)
    elif inc:
        count = 1
        outdir_inc = outdir + '-' + str(count)
        while os.path.exists(outdir_inc):
            count += 1
            outdir_inc = outdir + '-' + str(count)
        os.makedirs(outdir_inc)
        outdir = outdir_inc
    return outdir


def update_summary(epoch, train_metrics, eval_metrics, filename, lr=None, write_header=False):
    """Append one row per epoch to summary.csv."""
    row = OrderedDict(epoch=epoch)
    row.update([('train_' + k, v) for k, v in train_metrics.items()])
    row.update([('eval_' + k, v) for k, v in eval_metrics.items()])
    if lr is not None:
        row['lr'] = lr
    with open(filename, mode='a') as cf:
        dw = csv.DictWriter(cf, fieldnames=row.keys())
        if write_header:
            dw.writeheader()
        dw.writerow(row)
