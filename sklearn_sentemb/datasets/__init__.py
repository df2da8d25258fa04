"""Loaders for the evaluation data sets, reading the files of their public releases.

Every loader reads the files exactly as the release publishes them and returns a
:class:`sklearn.utils.Bunch` (``data``, ``target``, ``DESCR`` and, where they apply,
``split``, ``subset`` and ``target_names``), or ``(data, target)`` with
``return_X_y=True``, like scikit-learn's own loaders.

Where the files live
--------------------
``data_home`` is the ``data_home`` parameter, else the environment variable
``SKLEARN_SENTEMB_DATA``, else ``~/sentemb_data`` (see :func:`get_data_home`). Inside it each
data set has one folder named like the release's folder in the table below, holding the
release's files under their original names, e.g. ``data_home/stsb/sts-test.csv`` or
``data_home/sts12/STS.input.MSRpar.txt``.

The package ships the STS Benchmark dev and test files (CC BY-SA 4.0, with their licence and
readme): ``load_sts("stsb", split="dev")`` and ``split="test"`` fall back to that copy when
the file is missing from ``data_home``, and ``data_home="bundled"`` reads the shipped copy
only.

Downloading
-----------
``download=True`` fetches a missing data set from its official release (the URLs are in
:data:`DOWNLOADS`) into ``data_home``: the archive goes to a temporary folder inside
``data_home``, is checked (non-empty, complete, checksum where one is known, every expected
file present) and only then are the files renamed into place, so an interrupted or failed
download never leaves a partial file behind. Set ``SKLEARN_SENTEMB_DOWNLOAD_URL`` (or pass
``base_url`` to :func:`fetch_dataset`) to download from a mirror that serves the release
files under their original file names.

The tasks
---------
:data:`TASKS` is the one table of the evaluation tasks: for each, its family, its release
folder, the release's file names per split (``Task.files``), its name in the paper's
tables and its data set card (:attr:`Task.description`). :data:`STS_TASKS`,
:data:`CLUSTERING_TASKS`, :data:`CLASSIFICATION_TASKS` and :data:`STS_YEARS` list its
names by family.
"""

from ._base import BUNDLED, get_data_home
from ._clustering import load_clustering
from ._download import DOWNLOADS, fetch_dataset
from ._senteval import load_classification
from ._sts import load_sts
from ._tasks import CLASSIFICATION_TASKS, CLUSTERING_TASKS, STS_TASKS, STS_YEARS, TASKS, Task
from ._wikitext import load_corpus

__all__ = [
    "BUNDLED",
    "CLASSIFICATION_TASKS",
    "CLUSTERING_TASKS",
    "DOWNLOADS",
    "STS_TASKS",
    "STS_YEARS",
    "TASKS",
    "Task",
    "fetch_dataset",
    "get_data_home",
    "load_classification",
    "load_clustering",
    "load_corpus",
    "load_sts",
]
