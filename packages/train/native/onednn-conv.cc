// The three passes of a 2-D convolution in tfjs's layouts (NHWC activations,
// HWIO filters) on oneDNN, whose kernels use the CPU's widest vectors with
// fused multiply-add (AVX-512 or AVX2), where tfjs-backend-wasm has 128-bit
// SIMD without it. Called by src/backend/kernels/OneDnnConv.ts on views of the
// wasm heap: no copies but the filter's reorder into oneDNN's blocked layout.
//
// Primitives are built once per shape and kept per thread (each training
// worker is a thread with its own wasm backend); each call runs on the
// calling thread with one OpenMP thread, so that the gradient workers do not
// oversubscribe the cores.
#include <node_api.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <memory>
#include <string>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct Geometry {
  int64_t n, h, w, c, oc, kh, kw, sh, sw, pt, pl, pb, pr, oh, ow;
};

enum Mode { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

struct Pass {
  primitive prim;
  memory::desc weights;  // the layout the primitive wants its (diff) weights in
};

struct ThreadState {
  engine eng{engine::kind::cpu, 0};
  stream strm{eng};
  std::map<std::string, std::unique_ptr<Pass>> passes;
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

memory::desc activations(const Geometry& g) { return {{g.n, g.c, g.h, g.w}, dt::f32, tag::nhwc}; }
memory::desc outputs(const Geometry& g) { return {{g.n, g.oc, g.oh, g.ow}, dt::f32, tag::nhwc}; }
memory::desc hwio(const Geometry& g) { return {{g.oc, g.c, g.kh, g.kw}, dt::f32, tag::hwio}; }

convolution_forward::primitive_desc forwardDesc(const Geometry& g, bool bias, bool relu) {
  memory::desc any({g.oc, g.c, g.kh, g.kw}, dt::f32, tag::any);
  memory::dims strides = {g.sh, g.sw}, padL = {g.pt, g.pl}, padR = {g.pb, g.pr};
  auto d = bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, activations(g), any,
                                            memory::desc({g.oc}, dt::f32, tag::x), outputs(g), strides, padL, padR)
                : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, activations(g), any, outputs(g),
                                            strides, padL, padR);
  primitive_attr attr;
  if (relu) {
    post_ops ops;
    ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return convolution_forward::primitive_desc(d, attr, state().eng);
}

Pass& pass(Mode mode, const Geometry& g, bool bias, bool relu) {
  std::string key = std::to_string(mode) + (bias ? "b" : "-") + (relu ? "r" : "-");
  for (int64_t v : {g.n, g.h, g.w, g.c, g.oc, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.pb, g.pr, g.oh, g.ow}) key += "," + std::to_string(v);
  auto& passes = state().passes;
  auto found = passes.find(key);
  if (found != passes.end()) return *found->second;
  auto fwd = forwardDesc(g, bias && mode == kForward, relu && mode == kForward);
  memory::desc any({g.oc, g.c, g.kh, g.kw}, dt::f32, tag::any);
  memory::dims strides = {g.sh, g.sw}, padL = {g.pt, g.pl}, padR = {g.pb, g.pr};
  std::unique_ptr<Pass> p;
  if (mode == kForward) {
    p.reset(new Pass{convolution_forward(fwd), fwd.weights_desc()});
  } else if (mode == kBackwardData) {
    auto d = convolution_backward_data::desc(algorithm::convolution_direct, activations(g), any, outputs(g), strides, padL, padR);
    auto pd = convolution_backward_data::primitive_desc(d, state().eng, fwd);
    p.reset(new Pass{convolution_backward_data(pd), pd.weights_desc()});
  } else {
    auto d = convolution_backward_weights::desc(algorithm::convolution_direct, activations(g), any, outputs(g), strides, padL, padR);
    auto pd = convolution_backward_weights::primitive_desc(d, state().eng, fwd);
    p.reset(new Pass{convolution_backward_weights(pd), pd.diff_weights_desc()});
  }
  Pass& ref = *p;
  passes[key] = std::move(p);
  return ref;
}

float* floats(napi_env env, napi_value v, size_t expected, const char* name) {
  bool is;
  napi_is_typedarray(env, v, &is);
  if (!is) throw std::invalid_argument(std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset);
  if (type != napi_float32_array) throw std::invalid_argument(std::string(name) + " must be a Float32Array");
  if (length != expected) throw std::invalid_argument(std::string(name) + " has " + std::to_string(length) + " values, expected " + std::to_string(expected));
  return static_cast<float*>(data);
}

void execute(Mode mode, const Geometry& g, float* a, float* b, float* out, float* bias, bool relu) {
  ThreadState& s = state();
  Pass& p = pass(mode, g, bias != nullptr, relu);
  memory::desc user = hwio(g);
  if (mode == kBackwardWeights) {
    memory target(user, s.eng, out);
    memory dw = p.weights == user ? target : memory(p.weights, s.eng);
    p.prim.execute(s.strm, {{DNNL_ARG_SRC, memory(activations(g), s.eng, a)},
                            {DNNL_ARG_DIFF_DST, memory(outputs(g), s.eng, b)},
                            {DNNL_ARG_DIFF_WEIGHTS, dw}});
    if (p.weights != user) reorder(dw, target).execute(s.strm, dw, target);
  } else {
    memory given(user, s.eng, b);
    memory w = given;
    if (p.weights != user) {
      w = memory(p.weights, s.eng);
      reorder(given, w).execute(s.strm, given, w);
    }
    if (mode == kForward) {
      std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(activations(g), s.eng, a)},
                                              {DNNL_ARG_WEIGHTS, w},
                                              {DNNL_ARG_DST, memory(outputs(g), s.eng, out)}};
      if (bias) args.insert({DNNL_ARG_BIAS, memory({{g.oc}, dt::f32, tag::x}, s.eng, bias)});
      p.prim.execute(s.strm, args);
    } else {
      p.prim.execute(s.strm, {{DNNL_ARG_DIFF_DST, memory(outputs(g), s.eng, a)},
                              {DNNL_ARG_WEIGHTS, w},
                              {DNNL_ARG_DIFF_SRC, memory(activations(g), s.eng, out)}});
    }
  }
  s.strm.wait();
}

// conv(mode, a, b, out, geometry[15], bias | null, relu):
//   mode 0, forward:           a = x [N,H,W,C], b = filter [KH,KW,C,OC], out = y [N,OH,OW,OC] (+ bias [OC], then ReLU);
//   mode 1, input gradient:    a = dy, b = filter, out = dx;
//   mode 2, filter gradient:   a = x, b = dy, out = dfilter.
// geometry: N, H, W, C, OC, KH, KW, strideH, strideW, padTop, padLeft, padBottom, padRight, OH, OW.
napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  try {
    if (argc < 5) throw std::invalid_argument("conv(mode, a, b, out, geometry, bias?, relu?)");
    int32_t mode;
    if (napi_get_value_int32(env, argv[0], &mode) != napi_ok || mode < 0 || mode > 2) throw std::invalid_argument("mode must be 0, 1 or 2");
    int64_t d[15];
    for (uint32_t i = 0; i < 15; i++) {
      napi_value e;
      if (napi_get_element(env, argv[4], i, &e) != napi_ok || napi_get_value_int64(env, e, &d[i]) != napi_ok || d[i] < 0)
        throw std::invalid_argument("geometry must hold 15 non-negative integers");
    }
    Geometry g{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14]};
    size_t x = g.n * g.h * g.w * g.c, y = g.n * g.oh * g.ow * g.oc, f = g.kh * g.kw * g.c * g.oc;
    float* bias = nullptr;
    bool relu = false;
    if (argc > 5) {
      napi_valuetype t;
      napi_typeof(env, argv[5], &t);
      if (t != napi_null && t != napi_undefined) bias = floats(env, argv[5], g.oc, "bias");
    }
    if (argc > 6) napi_get_value_bool(env, argv[6], &relu);
    if (mode == kForward) execute(kForward, g, floats(env, argv[1], x, "x"), floats(env, argv[2], f, "filter"), floats(env, argv[3], y, "y"), bias, relu);
    else if (mode == kBackwardData) execute(kBackwardData, g, floats(env, argv[1], y, "dy"), floats(env, argv[2], f, "filter"), floats(env, argv[3], x, "dx"), nullptr, false);
    else execute(kBackwardWeights, g, floats(env, argv[1], x, "x"), floats(env, argv[2], y, "dy"), floats(env, argv[3], f, "dfilter"), nullptr, false);
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "ONEDNN", e.what());
  } catch (const std::exception& e) {
    napi_throw_type_error(env, nullptr, e.what());
  }
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  // One OpenMP thread per calling thread (the setting is per thread): the gradient workers share the cores.
  omp_set_num_threads(1);
  napi_value fn;
  napi_create_function(env, "conv", NAPI_AUTO_LENGTH, Conv, nullptr, &fn);
  napi_set_named_property(env, exports, "conv", fn);
  const dnnl_version_t* v = dnnl_version();
  napi_value version;
  std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_create_string_utf8(env, text.c_str(), text.size(), &version);
  napi_set_named_property(env, exports, "version", version);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
