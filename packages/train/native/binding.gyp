{
  "targets": [
    {
      "target_name": "onednn_conv",
      "sources": ["onednn-conv.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-ldnnl", "-lgomp"]
    }
  ]
}
