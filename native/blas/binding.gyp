{
  "targets": [
    {
      "target_name": "deltascope_blas",
      "sources": ["src/deltascope_blas.c", "src/delta_stats.c", "src/heatmap_pass.c", "src/ties.c", "src/decode.c", "src/aggregate.c", "src/dare.c", "src/mapped_range.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno"] },
      "conditions": [["OS=='linux'", { "libraries": ["-ldl", "-lm"] }]]
    }
  ]
}
