"""Every supported architecture gives transformers' own hidden states.

Each model is a tiny random one (hidden size 32, 3 layers, a vocabulary of the test's words)
built from its transformers config class and saved to a temporary folder. Encoders share a BERT
WordPiece tokenizer ([CLS] text [SEP]; the models only need ids within their vocabulary);
decoders get tokenizers without [CLS]/[SEP]: word-level ones built with the ``tokenizers``
library (GPT-2: no special tokens, no pad; Llama: a BOS only) and Qwen2's byte-level one.
"""

import numpy as np
import pytest
import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from sklearn_sentemb import InputTokenEmbeddings, TokenPooler, TransformerFeaturizer
from sklearn_sentemb._models import load_model

SENTENCES = [
    "the cat sat on the mat",
    "a dog",
    "the quick brown fox jumps over the lazy dog near the river bank",
    "music",
    "a man is playing a guitar on the stage tonight",
]
WORDS = sorted({word for text in [*SENTENCES, "word"] for word in text.split()})
BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
LAYERS = {"hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4}
SIZE = {**LAYERS, "intermediate_size": 64, "max_position_embeddings": 128}
CLS, SEP = 2, 3  # ids of [CLS] and [SEP] in the encoders' vocabulary
SPECIALS = {"pad_token_id": 0, "bos_token_id": CLS, "eos_token_id": SEP}

ENCODERS = {
    "bert": lambda v: transformers.BertConfig(vocab_size=v, **SIZE),
    "roberta": lambda v: transformers.RobertaConfig(vocab_size=v, pad_token_id=0, **SIZE),
    "distilbert": lambda v: transformers.DistilBertConfig(
        vocab_size=v, dim=32, n_layers=3, n_heads=4, hidden_dim=64, max_position_embeddings=128
    ),
    "xlm-roberta": lambda v: transformers.XLMRobertaConfig(vocab_size=v, pad_token_id=0, **SIZE),
    "electra": lambda v: transformers.ElectraConfig(vocab_size=v, embedding_size=16, **SIZE),
    "deberta-v2": lambda v: transformers.DebertaV2Config(
        vocab_size=v,
        relative_attention=True,
        position_buckets=16,
        pos_att_type=["p2c", "c2p"],
        **SIZE,
    ),
    "mpnet": lambda v: transformers.MPNetConfig(vocab_size=v, **SIZE),
    "albert": lambda v: transformers.AlbertConfig(vocab_size=v, embedding_size=16, **SIZE),
    "modernbert": lambda v: transformers.ModernBertConfig(
        vocab_size=v, local_attention=8, cls_token_id=CLS, sep_token_id=SEP, **SPECIALS, **SIZE
    ),
    "bart": lambda v: transformers.BartConfig(
        vocab_size=v,
        d_model=32,
        encoder_layers=3,
        encoder_ffn_dim=64,
        encoder_attention_heads=4,
        decoder_layers=1,
        decoder_ffn_dim=64,
        decoder_attention_heads=4,
        max_position_embeddings=128,
        decoder_start_token_id=SEP,
        **SPECIALS,
    ),  # fmt: skip
    "t5": lambda v: transformers.T5Config(
        vocab_size=v,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=3,
        num_decoder_layers=1,
        num_heads=4,
        pad_token_id=0,
        eos_token_id=SEP,
        decoder_start_token_id=0,
    ),  # fmt: skip
}
DECODER_SIZE = {**SIZE, "num_key_value_heads": 2}
DECODERS = {
    # name: (config, tokenizer)
    "gpt2": (
        lambda v: transformers.GPT2Config(
            vocab_size=v,
            n_positions=128,
            n_embd=32,
            n_layer=3,
            n_head=4,
            bos_token_id=0,
            eos_token_id=0,
        ),  # fmt: skip
        lambda: word_tokenizer("<|endoftext|>", "<|endoftext|>", pad=None, add_bos=False),
    ),
    "llama": (
        lambda v: transformers.LlamaConfig(
            vocab_size=v, bos_token_id=0, eos_token_id=1, **DECODER_SIZE
        ),
        lambda: word_tokenizer("<s>", "</s>", pad=None, add_bos=True),
    ),
    "qwen2": (
        lambda v: transformers.Qwen2Config(
            vocab_size=v, bos_token_id=0, eos_token_id=0, **DECODER_SIZE
        ),
        lambda: byte_level_qwen2_tokenizer(),
    ),
}
ARCHITECTURES = [*ENCODERS, *DECODERS]


def word_tokenizer(bos, eos, pad, add_bos):
    """A word-level tokenizer without [CLS]/[SEP]; it adds only ``bos``, if asked."""
    specials = list(dict.fromkeys([bos, eos, "<unk>"]))
    vocab = {token: i for i, token in enumerate(specials + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    if add_bos:
        backend.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", special_tokens=[(bos, vocab[bos])]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=bos, eos_token=eos, unk_token="<unk>", pad_token=pad
    )


def byte_level_qwen2_tokenizer():
    """Qwen2's own tokenizer class (AutoTokenizer rebuilds it) with bytes only, no merges."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {"<|endoftext|>": 0} | {char: i + 1 for i, char in enumerate(alphabet)}
    return transformers.Qwen2Tokenizer(vocab=vocab, merges=[])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``built(name)``: folder of the tiny model ``name``, built on first use."""
    folders = {}

    def build(name):
        if name not in folders:
            if name in ENCODERS:
                # No model_max_length: with T5, whose config sets no limit either.
                vocab = {token: i for i, token in enumerate(BERT_SPECIALS + WORDS)}
                tokenizer = transformers.BertTokenizer(vocab=vocab)
                config = ENCODERS[name](len(tokenizer))
            else:
                make_config, make_tokenizer = DECODERS[name]
                tokenizer = make_tokenizer()
                config = make_config(len(tokenizer))
            torch.manual_seed(0)
            folder = tmp_path_factory.mktemp(name)
            transformers.AutoModel.from_config(config).eval().save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            folders[name] = str(folder)
        return folders[name]

    return build


def reference(path, texts):
    """Hidden states and ids of each text, unpadded, from transformers directly."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    model_type = transformers.AutoConfig.from_pretrained(path).model_type
    if model_type == "t5":
        model = transformers.T5EncoderModel.from_pretrained(path)
    elif model_type == "bart":
        model = transformers.BartModel.from_pretrained(path).get_encoder()
    else:
        model = transformers.AutoModel.from_pretrained(path)
    out = []
    for text in texts:
        encoded = tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            hidden = model.eval()(**encoded, output_hidden_states=True).hidden_states
        out.append(([h[0].numpy() for h in hidden], encoded["input_ids"][0].numpy()))
    return out


@pytest.fixture(scope="module")
def references(built):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = reference(built(name), SENTENCES)
        return cache[name]

    return get


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_layers_equal_output_hidden_states(built, references, name):
    path = built(name)
    expected = references(name)
    n_layers = len(expected[0][0]) - 1
    assert n_layers == 3
    middle = 2
    # The comparison tells layers apart: neighbouring layers differ by far more than 1e-5.
    assert not np.allclose(expected[0][0][middle], expected[0][0][middle + 1], atol=1e-3)
    for layer in (0, middle, n_layers):
        tokens = TransformerFeaturizer(path, layers=layer, batch_size=3, cache=False).transform(
            SENTENCES
        )
        for i, (hidden, ids) in enumerate(expected):
            rows = slice(tokens.offsets[i], tokens.offsets[i + 1])
            np.testing.assert_array_equal(tokens.token_ids[rows], ids)
            np.testing.assert_allclose(tokens.values[rows], hidden[layer], atol=1e-5, err_msg=name)
    # Layers below the last run through hooks that stop the pass early.
    assert load_model(path).layer_steps is not None


@pytest.mark.parametrize("name", list(DECODERS))
def test_decoder_last_token_pooling(built, references, name):
    path = built(name)
    tokens = TransformerFeaturizer(path, batch_size=5, cache=False).transform(SENTENCES)
    pooled = TokenPooler("last").fit_transform(tokens)
    expected = np.stack([hidden[-1][-1] for hidden, _ in references(name)])
    np.testing.assert_allclose(pooled, expected, atol=1e-5)


def test_t5_default_max_length_is_512(built):
    # Neither T5's config nor this tokenizer sets a limit: the documented default is 512.
    long_text = "word " * 600
    with pytest.warns(UserWarning, match=r"exceed max_length=512"):
        tokens = TransformerFeaturizer(built("t5"), cache=False).transform(["short", long_text])
    assert tokens.lengths[1] == 512


def test_albert_input_token_embeddings(built):
    path = built("albert")
    tokens = InputTokenEmbeddings(path).fit_transform(SENTENCES)
    table = transformers.AlbertModel.from_pretrained(path).get_input_embeddings().weight
    np.testing.assert_array_equal(tokens.values, table.detach().numpy()[tokens.token_ids])
    assert tokens.dim == 16  # ALBERT's factorised embedding size, before its projection
