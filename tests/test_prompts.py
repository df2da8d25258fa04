"""Prompt templates end to end, checked against transformers run by hand on the full prompt."""

import functools
import math
from collections import Counter

import numpy as np
import pytest

from sklearn_sentemb import PROMPT_TEMPLATES, TokenPooler, TokenRole, TransformerFeaturizer

S, T, P, M = TokenRole.SPECIAL, TokenRole.TEXT, TokenRole.TEMPLATE, TokenRole.MASK
TEXTS = [
    "A man is playing a guitar.",
    'Unbelievably, the tokenizer\'s "wordpieces" split!',
    "",
    "Two dogs run.",
]
PROMPT_HEAD = ["[CLS]", "this", "sentence", ":", '"']
PROMPT_TAIL = ['"', "means", "[MASK]", ".", "[SEP]"]


@pytest.fixture(params=["tiny_bert", "minilm_path"])
def model_path(request):
    return request.getfixturevalue(request.param)


@functools.cache
def reference(path):
    """The tokenizer and model, loaded directly with transformers."""
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def last_layer_by_hand(path, ids):
    """Last-layer hidden states of one unpadded sequence, shape (len(ids), dim)."""
    import torch

    _, model = reference(path)
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    return out.hidden_states[-1][0].numpy()


def text_ids(path, text):
    tokenizer, _ = reference(path)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def prompt_ids(path, template, text):
    tokenizer, _ = reference(path)
    return tokenizer(template.replace("{text}", text))["input_ids"]


def featurize(path, texts, **params):
    """PromptBERT's template given as text: the texts go in as they are (the preset's "."
    rule is tested against the reference in test_fidelity.py)."""
    template = PROMPT_TEMPLATES["promptbert"]
    return TransformerFeaturizer(path, template=template, cache=False, **params).transform(texts)


def test_promptbert_ids_and_roles(model_path):
    tokenizer, _ = reference(model_path)
    tokens = featurize(model_path, TEXTS)
    assert len(tokens) == len(TEXTS)
    for i, text in enumerate(TEXTS):
        ids = tokens.token_ids[tokens.offsets[i] : tokens.offsets[i + 1]].tolist()
        roles = tokens.roles[tokens.offsets[i] : tokens.offsets[i + 1]].tolist()
        # WordPiece splits at spaces and punctuation, so the pieces equal the whole prompt's.
        assert ids == prompt_ids(model_path, PROMPT_TEMPLATES["promptbert"], text)
        pieces = tokenizer.convert_ids_to_tokens(ids)
        k = len(text_ids(model_path, text))
        assert pieces[:5] == PROMPT_HEAD and pieces[-5:] == PROMPT_TAIL
        assert ids[5 : 5 + k] == text_ids(model_path, text)
        assert roles == [S] + [P] * 4 + [T] * k + [P, P, M, P] + [S]
        assert ids[roles.index(M)] == tokenizer.mask_token_id


def test_mask_pooling_is_the_hidden_state_at_mask(model_path):
    tokenizer, _ = reference(model_path)
    out = TokenPooler("mask").transform(featurize(model_path, TEXTS))
    expected = []
    for text in TEXTS:
        ids = prompt_ids(model_path, PROMPT_TEMPLATES["promptbert"], text)
        expected.append(last_layer_by_hand(model_path, ids)[ids.index(tokenizer.mask_token_id)])
    assert out.shape == (len(TEXTS), len(expected[0]))
    np.testing.assert_allclose(out, np.array(expected), rtol=1e-4, atol=1e-5)


def test_mask_pooling_in_a_pipeline(tiny_bert):
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        TransformerFeaturizer(tiny_bert, template=PROMPT_TEMPLATES["promptbert"], cache=False),
        TokenPooler("mask"),
    )
    expected = TokenPooler("mask").transform(featurize(tiny_bert, TEXTS))
    np.testing.assert_allclose(pipe.fit_transform(TEXTS), expected, rtol=1e-5, atol=1e-6)


def test_mean_over_the_sentence_tokens_only(model_path):
    pooler = TokenPooler("mean", exclude=("special", "template", "mask"))
    out = pooler.transform(featurize(model_path, TEXTS))
    for i, text in enumerate(TEXTS):
        ids = prompt_ids(model_path, PROMPT_TEMPLATES["promptbert"], text)
        k = len(text_ids(model_path, text))
        hidden = last_layer_by_hand(model_path, ids)
        expected = hidden[5 : 5 + k].mean(0) if k else np.zeros(hidden.shape[1])
        np.testing.assert_allclose(out[i], expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(out[2], 0)  # the empty text has no token of its own


def test_promptbert_of_preset(tiny_bert):
    tokenizer, _ = reference(tiny_bert)
    tokens = TransformerFeaturizer(tiny_bert, template="promptbert-of", cache=False).transform(
        ["Two dogs run."]
    )
    ids = tokens.token_ids.tolist()
    assert ids == prompt_ids(tiny_bert, PROMPT_TEMPLATES["promptbert-of"], "Two dogs run.")
    assert tokenizer.convert_ids_to_tokens(ids) == (
        ["[CLS]", "this", "sentence", "of", '"', "two", "dogs", "run", "."] + PROMPT_TAIL
    )
    assert tokens.roles.tolist() == [S, P, P, P, P, T, T, T, T, P, P, M, P, S]


def test_user_template(model_path):
    template = '"{text}" is [MASK] .'
    tokenizer, _ = reference(model_path)
    tokens = TransformerFeaturizer(model_path, template=template, cache=False).transform(TEXTS)
    out = TokenPooler("mask").transform(tokens)
    for i, text in enumerate(TEXTS):
        ids = tokens.token_ids[tokens.offsets[i] : tokens.offsets[i + 1]].tolist()
        roles = tokens.roles[tokens.offsets[i] : tokens.offsets[i + 1]].tolist()
        assert ids == prompt_ids(model_path, template, text)
        k = len(text_ids(model_path, text))
        assert tokenizer.convert_ids_to_tokens(ids[:2]) == ["[CLS]", '"']
        assert tokenizer.convert_ids_to_tokens(ids[-5:]) == ['"', "is", "[MASK]", ".", "[SEP]"]
        assert roles == [S, P] + [T] * k + [P, P, M, P, S]
        hidden = last_layer_by_hand(model_path, ids)
        np.testing.assert_allclose(out[i], hidden[-3], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "template", ["This sentence means [MASK] .", '"{text}" or "{text}" means [MASK] .', "{txt}"]
)
def test_template_needs_one_placeholder(tiny_bert, template):
    featurizer = TransformerFeaturizer(tiny_bert, template=template, cache=False)
    with pytest.raises(ValueError, match=r"placeholder \{text\} exactly once"):
        featurizer.transform(["A man is playing a guitar."])


def test_long_text_is_cut_inside_the_text(model_path):
    tokenizer, _ = reference(model_path)
    text = " ".join(f"word{i} unbelievably" for i in range(40))
    with pytest.warns(UserWarning, match="exceed max_length=24 tokens and are cut"):
        tokens = featurize(model_path, [text, "Two dogs run."], max_length=24)
    ids = tokens.token_ids[: tokens.offsets[1]].tolist()
    assert len(ids) == 24
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert pieces[:5] == PROMPT_HEAD and pieces[-5:] == PROMPT_TAIL
    assert pieces[-4:] == ["means", "[MASK]", ".", "[SEP]"]
    assert ids[5:19] == text_ids(model_path, text)[:14]  # the text's first 24 - 10 tokens
    expected_roles = [S] + [P] * 4 + [T] * 14 + [P, P, M, P, S]
    assert tokens.roles[: tokens.offsets[1]].tolist() == expected_roles
    # The short text is untouched, and the [MASK] vector is the model's on the cut prompt.
    assert tokens.token_ids[tokens.offsets[1] :].tolist() == prompt_ids(
        model_path, PROMPT_TEMPLATES["promptbert"], "Two dogs run."
    )
    out = TokenPooler("mask").transform(tokens)
    np.testing.assert_allclose(
        out[0], last_layer_by_hand(model_path, ids)[-3], rtol=1e-4, atol=1e-5
    )


def test_cut_that_leaves_no_room_for_the_text_is_rejected(tiny_bert):
    with pytest.raises(ValueError, match="max_length=8 leaves no room for the text"):
        featurize(tiny_bert, ["Two dogs run."], max_length=8)


def test_idf_weighted_mean_of_the_sentence_tokens(tiny_bert):
    """Weights learned on prompted texts count the text tokens only."""
    pooler = TokenPooler("mean", exclude=("special", "template", "mask"), weighting="idf")
    tokens = featurize(tiny_bert, TEXTS)
    out = pooler.fit_transform(tokens)

    per_text = [text_ids(tiny_bert, text) for text in TEXTS]
    df = Counter(w for ids in per_text for w in set(ids))
    idf = {w: math.log((1 + len(TEXTS)) / (1 + d)) + 1 for w, d in df.items()}
    means_id = text_ids(tiny_bert, "means")[0]  # a template word absent from the texts
    assert pooler.weights_[means_id] == pytest.approx(math.log(1 + len(TEXTS)) + 1)
    for i, text in enumerate(TEXTS):
        k = len(per_text[i])
        hidden = last_layer_by_hand(
            tiny_bert, prompt_ids(tiny_bert, PROMPT_TEMPLATES["promptbert"], text)
        )
        weights = np.array([idf[w] for w in per_text[i]])
        expected = (weights[:, None] * hidden[5 : 5 + k]).sum(0) / k if k else 0
        np.testing.assert_allclose(out[i], expected, rtol=1e-4, atol=1e-5)
