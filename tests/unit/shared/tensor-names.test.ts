import { describe, expect, it } from 'vitest';
import { tensorBlock, tensorKind, TENSOR_KINDS } from '../../../src-main/shared/tensor-names';

describe('tensorBlock', () => {
  it.each([
    ['model.layers.3.self_attn.q_proj.weight', 'model.layers.3', 'model.layers', 3],
    ['transformer.h.11.attn.c_attn.weight', 'transformer.h.11', 'transformer.h', 11],
    ['blocks.0.attn.qkv.weight', 'blocks.0', 'blocks', 0],
    ['bert.encoder.layer.7.attention.self.query.bias', 'bert.encoder.layer.7', 'bert.encoder.layer', 7],
    ['encoder.block.2.layer.1.DenseReluDense.wi.weight', 'encoder.block.2', 'encoder.block', 2],
    ['layers.21.feed_forward.w2.weight', 'layers.21', 'layers', 21],
    // The first numbered block wins: experts inside a layer stay in that layer.
    ['model.layers.5.block_sparse_moe.experts.3.w1.weight', 'model.layers.5', 'model.layers', 5],
  ])('%s is in block %s', (name, key, stack, index) => {
    expect(tensorBlock(name)).toEqual({ key, stack, index });
  });

  it.each([
    'torso.dense1.kernel',
    'policy.kernel',
    'value.bias',
    'model.embed_tokens.weight',
    'lm_head.weight',
    'model.norm.weight',
    // A number that ends the name is no block: nothing follows it.
    'model.layers.3',
    'model.layers.x.weight',
  ])('%s has no block', (name) => {
    expect(tensorBlock(name)).toBeNull();
  });
});

describe('tensorKind', () => {
  it.each([
    // Llama / Mistral / Qwen
    ['model.embed_tokens.weight', 'embed'],
    ['model.layers.0.self_attn.q_proj.weight', 'q'],
    ['model.layers.0.self_attn.k_proj.weight', 'k'],
    ['model.layers.0.self_attn.v_proj.bias', 'v'],
    ['model.layers.0.self_attn.o_proj.weight', 'o'],
    ['model.layers.0.mlp.gate_proj.weight', 'gate'],
    ['model.layers.0.mlp.up_proj.weight', 'up'],
    ['model.layers.0.mlp.down_proj.weight', 'down'],
    ['model.layers.0.input_layernorm.weight', 'norm'],
    ['model.layers.0.post_attention_layernorm.weight', 'norm'],
    ['model.norm.weight', 'norm'],
    ['lm_head.weight', 'head'],
    // Meta's original Llama names
    ['tok_embeddings.weight', 'embed'],
    ['layers.0.attention.wq.weight', 'q'],
    ['layers.0.attention.wo.weight', 'o'],
    ['layers.0.feed_forward.w1.weight', 'gate'],
    ['layers.0.feed_forward.w3.weight', 'up'],
    ['layers.0.feed_forward.w2.weight', 'down'],
    ['layers.0.attention_norm.weight', 'norm'],
    ['output.weight', 'head'],
    // GPT-2
    ['transformer.wte.weight', 'embed'],
    ['transformer.wpe.weight', 'embed'],
    ['transformer.h.0.ln_1.weight', 'norm'],
    ['transformer.h.0.attn.c_attn.weight', 'qkv'],
    ['transformer.h.0.attn.c_proj.weight', 'o'],
    ['transformer.h.0.mlp.c_fc.weight', 'up'],
    ['transformer.h.0.mlp.c_proj.bias', 'down'],
    ['transformer.ln_f.weight', 'norm'],
    // GPT-NeoX / Pythia
    ['gpt_neox.layers.0.attention.query_key_value.weight', 'qkv'],
    ['gpt_neox.layers.0.attention.dense.weight', 'o'],
    ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight', 'up'],
    ['gpt_neox.layers.0.mlp.dense_4h_to_h.weight', 'down'],
    ['embed_out.weight', 'head'],
    // BERT
    ['bert.encoder.layer.0.attention.self.query.weight', 'q'],
    ['bert.encoder.layer.0.attention.self.key.weight', 'k'],
    ['bert.encoder.layer.0.attention.self.value.weight', 'v'],
    ['bert.encoder.layer.0.attention.output.dense.weight', 'o'],
    ['bert.encoder.layer.0.attention.output.LayerNorm.weight', 'norm'],
    ['bert.encoder.layer.0.intermediate.dense.weight', 'up'],
    ['bert.encoder.layer.0.output.dense.weight', 'down'],
    // T5
    ['encoder.block.0.layer.0.SelfAttention.q.weight', 'q'],
    ['encoder.block.0.layer.0.SelfAttention.o.weight', 'o'],
    ['encoder.block.0.layer.1.DenseReluDense.wi.weight', 'up'],
    ['encoder.block.0.layer.1.DenseReluDense.wo.weight', 'down'],
    ['encoder.block.0.layer.0.layer_norm.weight', 'norm'],
    // ViT / timm
    ['blocks.0.norm1.weight', 'norm'],
    ['blocks.0.attn.qkv.weight', 'qkv'],
    ['blocks.0.attn.proj.weight', 'other'],
    ['blocks.0.mlp.fc1.weight', 'up'],
    ['blocks.0.mlp.fc2.weight', 'down'],
    // Mixtral experts
    ['model.layers.0.block_sparse_moe.experts.3.w1.weight', 'gate'],
    ['model.layers.0.block_sparse_moe.experts.3.w2.weight', 'down'],
    // The app's own names stay unclassified: a policy's value head is not an attention value.
    ['torso.dense1.kernel', 'other'],
    ['policy.kernel', 'other'],
    ['value.kernel', 'other'],
    ['value.bias', 'other'],
  ] as const)('%s is %s', (name, kind) => {
    expect(tensorKind(name)).toBe(kind);
  });

  it('names only kinds of the matrix order', () => {
    expect(new Set(TENSOR_KINDS).size).toBe(TENSOR_KINDS.length);
    expect(TENSOR_KINDS).toContain(tensorKind('anything.at.all'));
  });
});
