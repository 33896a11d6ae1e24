"""A sweep's Optuna study: its storage (a journal file in the sweep folder, or a database that
many machines share), samplers, pruner, and the claiming of trial numbers.

Every trial number below `trials` is run exactly once, wherever: a worker asks Optuna for a
trial (a waiting one first, else a new number, both claimed atomically by the storage) and
gives it back as WAITING when its number is `trials` or more, then stops. Interrupted trials
are given back too, and the next run resumes them from their checkpoints under their own numbers.
"""

import contextlib
import hashlib
import importlib
import re
import time
import warnings

import numpy as np
import optuna
import sqlalchemy.engine
import sqlalchemy.exc
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from nnfs_cli.errors import NnfsError
from nnfs_cli.sweep import journal

JOURNAL = "journal.log"
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
_PASSWORD_IN_TEXT = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")   # a URL ends at a space


def masked(url):
    """`url` without its password, for messages."""
    return _PASSWORD.sub(r"\1***@", url)


def _first_line(error, url):
    """The first line of a database error, with the password of any URL in it hidden (the
    password's letters elsewhere in the message are left as they are)."""
    text = str(getattr(error, "orig", None) or error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return _PASSWORD_IN_TEXT.sub(r"\1***@", line.replace(url, masked(url)))


@contextlib.contextmanager
def storage_errors(url):
    """A database that fails while the sweep runs is one line and exit 1, not a traceback."""
    try:
        yield
    except sqlalchemy.exc.SQLAlchemyError as error:
        raise NnfsError(f"the study database {masked(url or '')} failed: "
                        f"{_first_line(error, url or '')}") from None


@contextlib.contextmanager
def quiet_optuna():
    """Optuna's per-trial log lines and experimental-feature warnings would drown ours."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def open_storage(url, folder, say=None):
    """The journal file in `folder` when `url` is None (checked first, a record cut short
    repaired, `say` telling so: journal.py), else the database at `url`."""
    if url is None:
        folder.mkdir(parents=True, exist_ok=True)
        journal.check(folder / JOURNAL, say)
        return optuna.storages.JournalStorage(JournalFileBackend(str(folder / JOURNAL)))
    if "://" not in url:
        raise NnfsError(f"--storage {masked(url)}: expected a database URL such as "
                        "postgresql://user:password@host/database", exit_code=2)
    return _database(url)


def in_memory(url):
    """Whether `url` is an in-memory SQLite database (sqlite://, sqlite:///:memory:), which
    each process that opens it gets a private, empty copy of."""
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except (sqlalchemy.exc.ArgumentError, ValueError):
        return False
    return parsed.drivername.split("+")[0] == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
        or "mode=memory" in (parsed.database or ""))


def with_driver(url):
    """`url` naming the PostgreSQL driver that is installed (psycopg, else psycopg2) when it
    names none: SQLAlchemy's default for a bare postgresql:// differs between versions."""
    scheme, _, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres"):
        return url
    for module in ("psycopg", "psycopg2"):
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        return f"postgresql+{module}://{rest}"
    raise NnfsError(f"--storage {masked(url)}: no PostgreSQL driver is installed; install one "
                    "with: pip install 'nnfs-cli[postgres]'")


def _database(url):
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(with_driver(url),
                                              engine_kwargs={"pool_pre_ping": True})
        except ImportError as error:
            raise NnfsError(f"--storage {masked(url)}: {_missing_driver(error)}") from None
        except (sqlalchemy.exc.ArgumentError, ValueError) as error:   # not a URL it can parse
            raise NnfsError(f"--storage {masked(url)}: not a database URL it can read "
                            f"({_first_line(error, url)})", exit_code=2) from None
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as error:
            # Two processes creating Optuna's tables at the same moment: the loser retries.
            failure = error
            time.sleep(0.2 * (attempt + 1))
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise NnfsError(f"cannot open the study database {masked(url)}: "
                            f"{_first_line(error, url)}") from None
    raise NnfsError(f"cannot set up the study database {masked(url)}: "
                    f"{_first_line(failure, url)}")


def _missing_driver(error):
    name = getattr(error.__cause__, "name", None)   # Optuna wraps the driver's ImportError
    if name is None:
        return "its database driver is not installed"
    if name.startswith("psycopg"):
        return (f"the PostgreSQL driver {name} is not installed; install it with: "
                "pip install 'nnfs-cli[postgres]'")
    return f"the database driver {name} is not installed; install it with: pip install {name}"


def open_study(storage, name, sweep, create=True):
    """The study `name` in `storage`, made with the sweep's direction if `create` and it does
    not exist yet; NnfsError if it does not exist or optimises the other way."""
    sampler, pruner = make_sampler(sweep), make_pruner(sweep)
    try:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler,
                                  pruner=pruner)
    except KeyError:
        if not create:
            raise NnfsError(f"no sweep {name!r} in its storage yet; run nnfs sweep "
                            f"{sweep.path} first") from None
        try:
            study = optuna.create_study(study_name=name, storage=storage, sampler=sampler,
                                        pruner=pruner, direction=sweep.goal)
            study.set_user_attr("metric", sweep.metric)
        except optuna.exceptions.DuplicatedStudyError:   # another machine made it first
            study = optuna.load_study(study_name=name, storage=storage, sampler=sampler,
                                      pruner=pruner)
    direction = study.direction.name.lower()
    metric = study.user_attrs.get("metric", sweep.metric)
    if (metric, direction) != (sweep.metric, sweep.goal):
        raise NnfsError(f"sweep {name!r} already exists and {direction}s {metric}, but "
                        f"{sweep.path} asks to {sweep.goal} {sweep.metric}; choose another "
                        "--name", exit_code=2)
    return study


def make_pruner(sweep):
    if sweep.pruner["name"] == "none":
        return optuna.pruners.NopPruner()
    # Steps are epoch numbers from 1, and Optuna may prune from step n_warmup_steps on.
    return optuna.pruners.MedianPruner(n_startup_trials=sweep.pruner["startup_trials"],
                                       n_warmup_steps=sweep.pruner["warmup_epochs"] + 1)


def make_sampler(sweep):
    if sweep.method == "grid":
        return GridByNumber(sweep, sweep.seed)
    if sweep.method == "random":
        return PerTrialSeed(lambda seed: optuna.samplers.RandomSampler(seed=seed), sweep.seed)
    # The constant liar keeps parallel workers from proposing the same point at once.
    return PerTrialSeed(lambda seed: optuna.samplers.TPESampler(seed=seed, constant_liar=True),
                        sweep.seed)


class PerTrialSeed(optuna.samplers.BaseSampler):
    """Samples trial N with a sampler seeded from (seed, N): the same sweep draws the same
    first points, and workers on many machines, all given one seed, still draw different ones."""

    def __init__(self, make, seed):
        self._make, self._seed = make, seed
        self._inner = make(seed)

    def before_trial(self, study, trial):
        trial_seed = np.random.SeedSequence([self._seed, trial.number]).generate_state(1)[0]
        self._inner = self._make(int(trial_seed))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, name, distribution):
        return self._inner.sample_independent(study, trial, name, distribution)

    def after_trial(self, study, trial, state, values):
        self._inner.after_trial(study, trial, state, values)


class GridByNumber(optuna.samplers.BaseSampler):
    """Grid search where trial N takes the N-th point of the grid in a seeded order: no point
    is run twice, however many workers and machines share the study. A point is computed
    from its number (Sweep.grid_point) and the order is a permutation that lists nothing
    for large grids, so 10**9 points cost no more than 10."""

    def __init__(self, sweep, seed):
        self._sweep = sweep
        self._size = sweep.grid_size()
        self._order = (np.random.default_rng(seed).permutation(self._size)
                       if self._size <= LISTED_ORDER else Shuffle(self._size, seed))

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, name, distribution):
        index = int(self._order[trial.number % self._size])
        return self._sweep.grid_point(index)[name]


# Grids up to this many points are ordered by one permutation array (8 MB at most; the
# order of the grids nnfs has always run); larger ones by Shuffle.
LISTED_ORDER = 1_000_000


class Shuffle:
    """A seeded bijection of range(n), computed one number at a time: a four-round Feistel
    network on the smallest even number of bits that holds n, applied again while its value
    is n or more (cycle walking, less than four steps on average)."""

    def __init__(self, n, seed):
        self.n = n
        bits = max(2, (n - 1).bit_length())
        self.half = (bits + 1) // 2
        self.mask = (1 << self.half) - 1
        self.keys = [int(key) for key in np.random.SeedSequence([seed, n]).generate_state(4)]

    def __getitem__(self, index):
        if not 0 <= index < self.n:
            raise IndexError(index)
        value = self._permute(index)
        while value >= self.n:
            value = self._permute(value)
        return value

    def _permute(self, value):
        left, right = value >> self.half, value & self.mask
        for key in self.keys:
            digest = hashlib.blake2b(f"{key}:{right}".encode(), digest_size=8).digest()
            left, right = right, left ^ (int.from_bytes(digest, "little") & self.mask)
        return (left << self.half) | right


def claim(storage, study, trials):
    """The next trial to run (a waiting one first, else a new number), or None when every
    number below `trials` is taken."""
    trial = study.ask()
    if trial.number < trials:
        return trial
    give_back(storage, study, trial.number)
    return None


def give_back(storage, study, number, interrupted=False):
    """Make trial `number` WAITING again, for the next run (resumed from its checkpoint when
    `interrupted`)."""
    study_id = storage.get_study_id_from_name(study.study_name)
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
    storage.set_trial_user_attr(trial_id, "interrupted", interrupted)
    storage.set_trial_state_values(trial_id, TrialState.WAITING)


def remaining(study, trials):
    """(how many trial numbers below `trials` are waiting or not made yet, how many of
    those were interrupted and resume)."""
    below = [trial for trial in study.get_trials(deepcopy=False) if trial.number < trials]
    waiting = [trial for trial in below if trial.state == TrialState.WAITING]
    resumed = [trial for trial in waiting if trial.user_attrs.get("interrupted")]
    return trials - len(below) + len(waiting), len(resumed)
