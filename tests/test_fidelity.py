"""The reviewed methods against their reference code: each test transcribes the reference by
hand (plain numpy, transformers or scikit-learn) and runs it on the same vectors or texts.

References: PromptBERT (kongds/Prompt-BERT ``evaluation.py``), uSIF (kawine/usif ``usif.py``),
all-but-the-top (Mu & Viswanath 2018, Algorithm 1), IsoScore (Rudman et al. 2022),
alignment and uniformity (Wang & Isola 2020), self-similarity (Ethayarajh 2019).
"""

import functools
import math
from collections import Counter

import numpy as np
import pytest
from sklearn.decomposition import TruncatedSVD
from sklearn.pipeline import make_pipeline

from sklearn_sentemb import (
    AllButTheTop,
    CommonComponentRemoval,
    RandomTokenEmbeddings,
    TokenEmbeddings,
    TokenPooler,
    TransformerFeaturizer,
    metrics,
)
from sklearn_sentemb.recipes import make_recipe

from conftest import read_stsb


@functools.cache
def hf(path):
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def short_stsb_sentences(n=60):
    pairs, _ = read_stsb("test")
    sentences = [s for s in dict.fromkeys(pairs.ravel().tolist()) if len(s) < 90]
    return sentences[:n]


# -- PromptBERT: "." before the template ---------------------------------------------------

PROMPTBERT_TEMPLATES = {  # evaluation.py's templates, in its own notation
    "promptbert": '*cls*_This_sentence_:_"*sent_0*"_means*mask*.*sep+*',
    "promptbert-of": '*cls*_This_sentence_of_"*sent_0*"_means*mask*.*sep+*',
}
ODD_ENDINGS = ["It rains", "Why?", 'He said "no"', "It's 'fine'", "Stop!", "Done.", "A b; "]


def promptbert_reference(tokenizer, template, sentences):
    """evaluation.py's prompt filling: the template's notation, then each sentence."""
    template = template.replace("*mask*", tokenizer.mask_token).replace("_", " ")
    template = template.replace("*sep+*", "").replace("*cls*", "")
    out = []
    for s in sentences:
        if len(s) > 0 and s[-1] not in ".?\"'":
            s += "."
        out.append(template.replace("*sent 0*", s).strip())
    return out


@pytest.mark.parametrize("name", sorted(PROMPTBERT_TEMPLATES))
def test_promptbert_presets_tokenise_as_the_reference(name, tiny_bert):
    tokenizer, _ = hf(tiny_bert)
    sentences = short_stsb_sentences() + ODD_ENDINGS
    expected = tokenizer(promptbert_reference(tokenizer, PROMPTBERT_TEMPLATES[name], sentences))
    tokens = TransformerFeaturizer(tiny_bert, template=name, cache=False).transform(sentences)
    for i, ids in enumerate(expected["input_ids"]):
        assert tokens[i].token_ids.tolist() == ids, sentences[i]
    # Some sentences of the sample really change: the rule is exercised.
    assert any(not s.endswith((".", "?", '"', "'")) for s in sentences)


def test_a_template_given_as_text_leaves_the_sentence_unchanged(tiny_bert):
    from sklearn_sentemb import PROMPT_TEMPLATES

    tokenizer, _ = hf(tiny_bert)
    literal = PROMPT_TEMPLATES["promptbert"]
    tokens = TransformerFeaturizer(tiny_bert, template=literal, cache=False).transform(ODD_ENDINGS)
    for i, s in enumerate(ODD_ENDINGS):
        assert tokens[i].token_ids.tolist() == tokenizer(literal.replace("{text}", s))["input_ids"]


def test_promptbert_mask_vector_matches_the_reference_forward_pass(tiny_bert):
    import torch

    tokenizer, model = hf(tiny_bert)
    sentences = short_stsb_sentences(20) + ODD_ENDINGS
    prompts = promptbert_reference(tokenizer, PROMPTBERT_TEMPLATES["promptbert"], sentences)
    batch = tokenizer(prompts, padding=True, return_tensors="pt")
    with torch.no_grad():
        last = model(**batch).last_hidden_state
    expected = last[batch["input_ids"] == tokenizer.mask_token_id].numpy()
    # The memory cache is on: the preset and its literal text must not share entries.
    literal = TransformerFeaturizer(tiny_bert, template="promptbert").transform(sentences)
    ours = make_pipeline(
        TransformerFeaturizer(tiny_bert, template="promptbert"), TokenPooler("mask")
    ).fit_transform(sentences)
    np.testing.assert_allclose(ours, expected, atol=2e-5)
    assert len(literal) == len(sentences)


def test_preset_and_literal_template_do_not_share_cached_states(tiny_bert):
    from sklearn_sentemb import PROMPT_TEMPLATES

    texts = ["It rains"]
    pool = TokenPooler("mask")
    preset = pool.fit_transform(
        TransformerFeaturizer(tiny_bert, template="promptbert").transform(texts)
    )
    literal = pool.fit_transform(
        TransformerFeaturizer(tiny_bert, template=PROMPT_TEMPLATES["promptbert"]).transform(texts)
    )
    assert not np.allclose(preset, literal)


# -- uSIF ------------------------------------------------------------------------------------


def usif_reference(sentences, counts, n=11, m=5):
    """kawine/usif's uSIF.embed. ``sentences`` are lists of (word, vector) pairs, ``counts``
    the word counts the probabilities come from."""
    total = sum(counts.values())
    prob = {w: c / total for w, c in counts.items()}
    min_prob = min(prob.values())
    vocab_size = float(len(prob))
    threshold = 1 - (1 - 1 / vocab_size) ** n
    alpha = len([w for w in prob if prob[w] > threshold]) / vocab_size
    z = 0.5 * vocab_size
    a = (1 - alpha) / (alpha * z)

    def weight(word):
        return a / (0.5 * a + prob.get(word, min_prob))

    vectors = []
    for sentence in sentences:
        v_t = np.array([v for _, v in sentence], dtype=np.float64)
        v_t = v_t * (1.0 / np.linalg.norm(v_t, axis=0))
        v_t = np.array([weight(w) * v_t[i, :] for i, (w, _) in enumerate(sentence)])
        vectors.append(np.mean(v_t, axis=0))
    svd = TruncatedSVD(n_components=m, random_state=0).fit(vectors)
    for i in range(m):
        lambda_i = (svd.singular_values_[i] ** 2) / (svd.singular_values_**2).sum()
        pc = svd.components_[i]
        vectors = [v_s - lambda_i * v_s.dot(pc.transpose()) * pc for v_s in vectors]
    return np.array(vectors), a


def zipf_tokens(n_texts=300, dim=24, seed=0):
    """Texts of 4 to 20 word ids drawn with Zipf-like frequencies; one fixed vector per id
    plus a shared offset (a common component), all without special tokens."""
    rng = np.random.default_rng(seed)
    n_words = 400
    p = 1.0 / np.arange(1, n_words + 1)
    table = rng.standard_normal((n_words, dim)) + 3 * rng.standard_normal(dim)
    texts = [rng.choice(n_words, size=rng.integers(4, 21), p=p / p.sum()) for _ in range(n_texts)]
    ids = np.concatenate(texts)
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in texts])])
    tokens = TokenEmbeddings(table[ids].astype(np.float32), offsets, ids, np.zeros(len(ids)))
    return tokens, [t.tolist() for t in texts], table


def test_usif_weights_use_n_11_and_the_least_probability_for_unseen_ids():
    tokens, texts, _ = zipf_tokens()
    counts = Counter(w for t in texts for w in t)
    total = sum(counts.values())
    prob = {w: c / total for w, c in counts.items()}
    threshold = 1 - (1 - 1 / len(prob)) ** 11
    alpha = sum(p > threshold for p in prob.values()) / len(prob)
    a = (1 - alpha) / (alpha * 0.5 * len(prob))
    pooler = TokenPooler(weighting="usif").fit(tokens)
    assert pooler.a_ == pytest.approx(a, rel=1e-12)
    unseen = a / (0.5 * a + min(prob.values()))
    for w in range(len(pooler.weights_)):
        assert pooler.weights_[w] == pytest.approx(a / (0.5 * a + prob.get(w, min(prob.values()))))
    assert pooler.default_weight_ == pytest.approx(unseen)
    assert len(pooler.weights_) > len(prob)  # some ids below the largest were never seen


def test_usif_pooling_and_weighted_removal_match_the_reference():
    tokens, texts, table = zipf_tokens()
    counts = Counter(w for t in texts for w in t)
    sentences = [[(w, table[w].astype(np.float32)) for w in t] for t in texts]
    expected, a = usif_reference(sentences, counts)
    pipe = make_pipeline(
        TokenPooler("mean", weighting="usif", token_norm="dimension"),
        CommonComponentRemoval(n_components=5, weighted=True),
    )
    ours = pipe.fit_transform(tokens)
    assert pipe[0].a_ == pytest.approx(a)
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-5)
    # The fully removed components of SIF give something else.
    sif_like = CommonComponentRemoval(n_components=5).fit_transform(pipe[0].transform(tokens))
    assert not np.allclose(sif_like, expected, atol=1e-3)


def test_usif_recipe_is_the_reference_on_the_featurizer_vectors(tiny_bert):
    sentences = short_stsb_sentences(80)
    ours = make_recipe("usif", model=tiny_bert, cache=False).fit(sentences).transform(sentences)
    tokens = TransformerFeaturizer(tiny_bert, cache=False).transform(sentences)
    # The recipe pools the text tokens (specials excluded); a word is a token id.
    text = [tokens[i] for i in range(len(tokens))]
    reference_sentences = [
        [(int(w), v) for w, v, r in zip(t.token_ids, t.values, t.roles) if r == 0] for t in text
    ]
    counts = Counter(tokens.token_ids[tokens.roles == 0].tolist())
    expected, _ = usif_reference(reference_sentences, counts)
    np.testing.assert_allclose(ours, expected, rtol=1e-3, atol=1e-5)


def test_weighted_removal_is_one_linear_map():
    X = np.random.default_rng(1).standard_normal((50, 6)) + 2
    ccr = CommonComponentRemoval(n_components=3, weighted=True).fit(X)
    s = np.linalg.svd(X, compute_uv=False)[:3]
    np.testing.assert_allclose(ccr.removal_weights_, s**2 / (s**2).sum())
    U = ccr.components_
    np.testing.assert_allclose(
        ccr.transform(X), X @ (np.eye(6) - U.T @ np.diag(ccr.removal_weights_) @ U)
    )
    np.testing.assert_array_equal(CommonComponentRemoval(3).fit(X).removal_weights_, 1.0)


# -- all-but-the-top: both readings ------------------------------------------------------------


def test_all_but_the_top_both_readings_match_algorithm_1():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((200, 8)) @ rng.standard_normal((8, 8)) + 5 * rng.standard_normal(8)
    d = 2
    mu = X.mean(axis=0)
    tilde = X - mu
    _, vectors = np.linalg.eigh(tilde.T @ tilde)
    u = vectors[:, ::-1][:, :d].T  # the top-d principal directions
    as_written = tilde - (X @ u.T) @ u  # step 3: projections of v(w), not of v~(w)
    centred = tilde - (tilde @ u.T) @ u
    np.testing.assert_allclose(
        AllButTheTop(d, center=False).fit_transform(X), as_written, atol=1e-9
    )
    np.testing.assert_allclose(AllButTheTop(d).fit_transform(X), centred, atol=1e-9)
    # The two readings differ by one constant vector.
    gap = as_written - centred
    np.testing.assert_allclose(gap, np.broadcast_to(-(mu @ u.T) @ u, gap.shape), atol=1e-9)


# -- PromptBERT's exclusion lists --------------------------------------------------------------

# evaluation.py's pun_remove_set and its remove_set for BERT, as printed there.
PUN_REMOVE_SET = {
    "?", "*", "#", "´", "’", "=", "…", "|", "~", "/", "‚", "¿", "–", "»", "-", "€", "‘", '"',
    "(", "•", "`", "$", ":", "[", "”", "%", "£", "<", "[UNK]", ";", "“", "@", "_", "{", "^",
    ",", ".", "!", "™", "&", "]", ">", "\\", "'", ")", "+", "—",
}  # fmt: skip
REMOVE_SET = {
    ".", "a", "the", "in", ",", "is", "to", "of", "and", "'", "on", "man", "-", "s", "with",
    "for", '"', "at", "##s", "woman", "are", "it", "two", "that", "you", "dog", "said",
    "playing", "i", "an", "as", "was", "from", ":", "by", "white",
}  # fmt: skip


def test_promptbert_lists_are_the_reference_lists():
    from sklearn_sentemb._pooling import PROMPTBERT_FREQUENT, PROMPTBERT_PUNCTUATION

    assert len(PUN_REMOVE_SET) == 47 and len(REMOVE_SET) == 36
    assert set(PROMPTBERT_PUNCTUATION) == PUN_REMOVE_SET
    assert set(PROMPTBERT_FREQUENT) == REMOVE_SET


@pytest.mark.parametrize(
    "preset, listed",
    [("promptbert-punctuation", PUN_REMOVE_SET), ("promptbert-frequent", REMOVE_SET)],
)
def test_promptbert_exclusion_presets_pool_as_the_reference(preset, listed, minilm_path):
    from sklearn_sentemb import InputTokenEmbeddings

    sentences = short_stsb_sentences(40) + ['A "weird" — text… at £5!', "two dogs' [UNK]"]
    tokens = InputTokenEmbeddings(minilm_path).fit_transform(sentences)
    tokenizer, _ = hf(minilm_path)
    expected = []
    for i in range(len(tokens)):
        one = tokens[i]
        names = tokenizer.convert_ids_to_tokens(one.token_ids.tolist())
        keep = [j for j, t in enumerate(names) if t not in listed and one.roles[j] == 0]
        expected.append(one.values[keep].mean(axis=0) if keep else np.zeros(tokens.dim))
    ours = TokenPooler("mean", exclude=("special", preset)).fit_transform(tokens)
    np.testing.assert_allclose(ours, np.array(expected), rtol=1e-5, atol=1e-6)
    assert not np.allclose(ours, TokenPooler("mean").fit_transform(tokens))


def test_exclusion_preset_keeps_tokens_of_a_vocabulary_without_the_list():
    vocabulary = np.array(["[CLS]", "[SEP]", "hello", ",", "world", None], dtype=object)
    tokens = TokenEmbeddings(
        np.eye(5, 3, dtype=np.float32), [0, 5], [0, 2, 3, 4, 1], [1, 0, 0, 0, 1], vocabulary
    )
    out = TokenPooler(exclude=("special", "promptbert-punctuation")).fit_transform(tokens)
    np.testing.assert_allclose(out, tokens.values[[1, 3]].mean(axis=0, keepdims=True))


# -- CLS through the pooler head ---------------------------------------------------------------


def test_pooler_method_matches_transformers_pooler_output(tiny_bert, monkeypatch):
    import torch
    import transformers

    from sklearn_sentemb._models import clear_registry

    tokenizer, model = hf(tiny_bert)
    sentences = short_stsb_sentences(30) + [""]
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = model(**batch).pooler_output.numpy()

    loads = []
    original = transformers.AutoModel.from_pretrained
    monkeypatch.setattr(
        transformers.AutoModel,
        "from_pretrained",
        lambda *a, **k: loads.append(a) or original(*a, **k),
    )
    clear_registry()
    tokens = TransformerFeaturizer(tiny_bert, cache=False).transform(sentences)
    ours = TokenPooler("pooler").fit_transform(tokens)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    assert len(loads) == 1  # the head comes with the one model load
    # Folds keep the head.
    folded = TokenPooler("pooler").transform(tokens[[3, 0]])
    np.testing.assert_allclose(folded, ours[[3, 0]], atol=1e-6)
    # It is not the raw first token.
    assert not np.allclose(TokenPooler("cls").transform(tokens), ours, atol=1e-3)


@pytest.fixture(scope="module")
def bert_without_pooler(tmp_path_factory, tiny_bert):
    from transformers import BertConfig, BertModel

    path = tmp_path_factory.mktemp("no-pooler")
    config = BertConfig.from_pretrained(tiny_bert)
    BertModel(config, add_pooling_layer=False).save_pretrained(path)
    hf(tiny_bert)[0].save_pretrained(path)
    return str(path)


def test_pooler_method_without_a_pooler_in_the_checkpoint_names_the_step(
    bert_without_pooler, tiny_bert
):
    for featurizer in (
        TransformerFeaturizer(bert_without_pooler, cache=False),
        RandomTokenEmbeddings(tiny_bert, dim=8),
    ):
        tokens = featurizer.fit_transform(["a text"])
        with pytest.raises(ValueError, match=r"^TokenPooler\(method='pooler'\): these token vec"):
            TokenPooler("pooler").fit_transform(tokens)


# -- diagnostics -------------------------------------------------------------------------------


def isoscore_by_hand(points):
    """Algorithm 1 of Rudman et al. (2022), step by step."""
    n = points.shape[1]
    pca = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(pca, full_matrices=False)
    reoriented = pca @ vt.T  # the points in the principal coordinates
    sigma = np.zeros(n)
    sigma[: reoriented.shape[1]] = np.var(reoriented, axis=0, ddof=1)
    sigma_hat = math.sqrt(n) * sigma / np.linalg.norm(sigma)
    delta = np.linalg.norm(sigma_hat - 1) / math.sqrt(2 * (n - math.sqrt(n)))
    phi = (n - delta**2 * (n - math.sqrt(n))) ** 2 / n**2
    return (n * phi - 1) / (n - 1)


@pytest.mark.parametrize("shape", [(500, 8), (5, 12), (300, 3)])
def test_isoscore_matches_the_published_algorithm(shape):
    rng = np.random.default_rng(4)
    X = rng.standard_normal(shape) * np.linspace(0.2, 3, shape[1]) + 7
    assert metrics.isoscore(X) == pytest.approx(isoscore_by_hand(X), rel=1e-9, abs=1e-12)


def test_isoscore_matches_the_authors_package():
    IsoScore = pytest.importorskip("IsoScore.IsoScore")
    X = np.random.default_rng(5).standard_normal((400, 6)) * [1, 1, 2, 3, 0.5, 4]
    assert metrics.isoscore(X) == pytest.approx(float(IsoScore.IsoScore(X)), rel=1e-6)


def test_alignment_and_uniformity_match_wang_and_isola():
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((70, 5)), rng.standard_normal((70, 5))
    x, y = F.normalize(torch.tensor(a), dim=1), F.normalize(torch.tensor(b), dim=1)
    for alpha in (2, 1):
        expected = (x - y).norm(p=2, dim=1).pow(alpha).mean().item()
        assert metrics.alignment(a, b, alpha=alpha) == pytest.approx(expected, rel=1e-12)
    for t in (2, 0.5):
        expected = torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log().item()
        assert metrics.uniformity(a, t=t) == pytest.approx(expected, rel=1e-10)
    big = rng.standard_normal((2100, 3))  # more rows than one block
    x = F.normalize(torch.tensor(big), dim=1)
    expected = torch.pdist(x, p=2).pow(2).mul(-2).exp().mean().log().item()
    assert metrics.uniformity(big) == pytest.approx(expected, rel=1e-9)


def test_self_similarity_is_the_mean_pairwise_cosine_per_token():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 4))
    labels = rng.integers(0, 9, size=40)
    labels[0] = 99  # a token seen once plays no part
    per_token = []
    for label in set(labels.tolist()):
        rows = X[labels == label]
        if len(rows) < 2:
            continue
        cos = [
            rows[j] @ rows[k] / np.linalg.norm(rows[j]) / np.linalg.norm(rows[k])
            for j in range(len(rows))
            for k in range(len(rows))
            if j != k
        ]
        per_token.append(np.mean(cos))
    assert metrics.self_similarity(X, labels) == pytest.approx(np.mean(per_token), rel=1e-12)
    static = np.repeat(rng.standard_normal((3, 4)), 5, axis=0)
    assert metrics.self_similarity(static, np.repeat([1, 2, 3], 5)) == pytest.approx(1.0)
