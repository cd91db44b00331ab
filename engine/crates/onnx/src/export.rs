//! ONNX writers: build a `ModelProto` from tract-onnx's prost types and encode it.

use prost::Message;
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto, attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::Dimension,
    tensor_shape_proto::dimension::Value as DimValue, type_proto,
};

use crate::OnnxError;
use crate::models::{Activation, CLASSES, Cnn, Lstm, Mlp};

/// The default-domain operator set the exported models import.
pub const OPSET_VERSION: i64 = 13;
/// The ONNX IR version matching [`OPSET_VERSION`] (IR 7 introduced opset 13).
pub const IR_VERSION: i64 = 7;
/// Name of the single graph input of every exported model.
pub const INPUT_NAME: &str = "input";
/// Name of the single graph output of every exported model.
pub const OUTPUT_NAME: &str = "output";

/// Exports an [`Mlp`] as ONNX.
///
/// Graph: input `"input"` `[batch, input_features]` f32 (`batch` symbolic) →
/// per layer `Gemm(x, W, b, transB = 1)` (+ `Relu` / `Tanh`) → optional
/// `Softmax(axis = -1)` → output `"output"` `[batch, outputs]`. Weights and
/// biases are initializers `layerN.weight` / `layerN.bias`.
pub fn export_mlp(mlp: &Mlp, input_features: usize) -> Result<Vec<u8>, OnnxError> {
    let outputs = mlp.validate(input_features)?;
    let mut g = Graph::default();
    let mut current = INPUT_NAME.to_string();
    let last = mlp.layers.len() - 1;
    let mut width = input_features;
    for (ix, layer) in mlp.layers.iter().enumerate() {
        let out = layer.bias.len();
        let w = g.initializer(&format!("layer{ix}.weight"), &[out, width], &layer.weights)?;
        let b = g.initializer(&format!("layer{ix}.bias"), &[out], &layer.bias)?;
        let is_last = ix == last && layer.activation == Activation::None && !mlp.softmax_output;
        let gemm_out = if is_last { OUTPUT_NAME.to_string() } else { format!("layer{ix}.gemm") };
        g.node("Gemm", &[&current, &w, &b], &[&gemm_out], vec![attr_int("transB", 1)]);
        current = gemm_out;
        let op = match layer.activation {
            Activation::Relu => Some("Relu"),
            Activation::Tanh => Some("Tanh"),
            Activation::None => None,
        };
        if let Some(op) = op {
            let act_out =
                if ix == last && !mlp.softmax_output { OUTPUT_NAME.to_string() } else { format!("layer{ix}.act") };
            g.node(op, &[&current], &[&act_out], vec![]);
            current = act_out;
        }
        width = out;
    }
    if mlp.softmax_output {
        g.node("Softmax", &[&current], &[OUTPUT_NAME], vec![attr_int("axis", -1)]);
    }
    let input = value_info(INPUT_NAME, &[Dim::Param("batch"), Dim::Fixed(input_features)])?;
    let output = value_info(OUTPUT_NAME, &[Dim::Param("batch"), Dim::Fixed(outputs)])?;
    Ok(g.finish("tradebot_mlp", input, output))
}

/// Exports an [`Lstm`] classifier as ONNX.
///
/// Graph: input `"input"` `[seq, batch, input_size]` f32 (time-major, both
/// symbolic; the reference forward pass is batch 1) → `LSTM(X, W, R, B,
/// hidden_size = H)` with outputs `Y` omitted and `Y_h` `[1, batch, H]` →
/// `Flatten(axis = 2)` `[batch, H]` → `Gemm(transB = 1)` to [`CLASSES`] →
/// `Softmax(axis = -1)` → output `"output"` `[batch, 3]`.
///
/// Gate mapping. [`Lstm`] stores its four gate blocks (`H` rows each) in the
/// PyTorch / candle order `i, f, g, o`; ONNX wants `i, o, f, c` (`c` is the
/// cell candidate PyTorch calls `g`). So for ONNX block `0..4` the exporter
/// takes [`Lstm`] block `[0, 3, 1, 2]`:
/// - `W [1, 4H, I]` = `weight_ih` blocks `i, o, f, g`;
/// - `R [1, 4H, H]` = `weight_hh` blocks `i, o, f, g`;
/// - `B [1, 8H]` = `bias_ih` blocks `i, o, f, g` followed by `bias_hh` blocks
///   `i, o, f, g` (ONNX's `Wb` then `Rb`; both are added, as in PyTorch).
///
/// The default ONNX activations (`Sigmoid` for the gates, `Tanh` for the cell)
/// and zero initial states are those of PyTorch's LSTM.
pub fn export_lstm_classifier(lstm: &Lstm) -> Result<Vec<u8>, OnnxError> {
    lstm.validate()?;
    let (ni, nh) = (lstm.input_size, lstm.hidden_size);
    let mut g = Graph::default();
    let w = g.initializer("lstm.W", &[1, 4 * nh, ni], &to_onnx_gate_order(&lstm.weight_ih, nh * ni))?;
    let r = g.initializer("lstm.R", &[1, 4 * nh, nh], &to_onnx_gate_order(&lstm.weight_hh, nh * nh))?;
    let mut bias = to_onnx_gate_order(&lstm.bias_ih, nh);
    bias.extend(to_onnx_gate_order(&lstm.bias_hh, nh));
    let b = g.initializer("lstm.B", &[1, 8 * nh], &bias)?;
    let hidden = i64::try_from(nh).map_err(|_| too_large("hidden_size"))?;
    // Output 0 (`Y`, every step's hidden state) is left unnamed: not computed.
    g.node("LSTM", &[INPUT_NAME, &w, &r, &b], &["", "lstm.Y_h"], vec![attr_int("hidden_size", hidden)]);
    g.node("Flatten", &["lstm.Y_h"], &["lstm.h_last"], vec![attr_int("axis", 2)]);
    g.classifier_head("lstm.h_last", nh, &lstm.head_weights, &lstm.head_bias)?;
    let input = value_info(INPUT_NAME, &[Dim::Param("seq"), Dim::Param("batch"), Dim::Fixed(ni)])?;
    let output = value_info(OUTPUT_NAME, &[Dim::Param("batch"), Dim::Fixed(CLASSES)])?;
    Ok(g.finish("tradebot_lstm_classifier", input, output))
}

/// Exports a [`Cnn`] for `height × width` images as ONNX.
///
/// Graph: input `"input"` `[batch, 1, height, width]` f32 (`batch` symbolic) →
/// `Conv(kernel_shape = [k, k])` → `Relu` → `MaxPool(kernel_shape = strides =
/// [p, p])` → `GlobalAveragePool` → `Flatten(axis = 1)` → `Gemm(transB = 1)`
/// to [`CLASSES`] → `Softmax(axis = -1)` → output `"output"` `[batch, 3]`.
pub fn export_cnn(cnn: &Cnn, height: usize, width: usize) -> Result<Vec<u8>, OnnxError> {
    cnn.validate(height, width)?;
    let (c, k, p) = (cnn.channels, cnn.kernel_size, cnn.pool_size);
    let k64 = i64::try_from(k).map_err(|_| too_large("kernel_size"))?;
    let p64 = i64::try_from(p).map_err(|_| too_large("pool_size"))?;
    let mut g = Graph::default();
    let w = g.initializer("conv.weight", &[c, 1, k, k], &cnn.conv_weights)?;
    let b = g.initializer("conv.bias", &[c], &cnn.conv_bias)?;
    g.node("Conv", &[INPUT_NAME, &w, &b], &["conv.out"], vec![attr_ints("kernel_shape", &[k64, k64])]);
    g.node("Relu", &["conv.out"], &["conv.relu"], vec![]);
    g.node(
        "MaxPool",
        &["conv.relu"],
        &["pool.out"],
        vec![attr_ints("kernel_shape", &[p64, p64]), attr_ints("strides", &[p64, p64])],
    );
    g.node("GlobalAveragePool", &["pool.out"], &["gap.out"], vec![]);
    g.node("Flatten", &["gap.out"], &["features"], vec![attr_int("axis", 1)]);
    g.classifier_head("features", c, &cnn.head_weights, &cnn.head_bias)?;
    let input = value_info(INPUT_NAME, &[Dim::Param("batch"), Dim::Fixed(1), Dim::Fixed(height), Dim::Fixed(width)])?;
    let output = value_info(OUTPUT_NAME, &[Dim::Param("batch"), Dim::Fixed(CLASSES)])?;
    Ok(g.finish("tradebot_cnn", input, output))
}

/// Reorders four gate blocks of `block` values from `i, f, g, o` to ONNX's `i, o, f, c`.
fn to_onnx_gate_order(values: &[f32], block: usize) -> Vec<f32> {
    [0usize, 3, 1, 2].iter().flat_map(|&gate| &values[gate * block..(gate + 1) * block]).copied().collect()
}

fn too_large(what: &str) -> OnnxError {
    OnnxError::InvalidModel { model: "ONNX export", reason: format!("{what} does not fit in an i64") }
}

#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl Graph {
    /// Adds an f32 initializer and returns its name.
    fn initializer(&mut self, name: &str, dims: &[usize], values: &[f32]) -> Result<String, OnnxError> {
        let dims = dims.iter().map(|&d| i64::try_from(d).map_err(|_| too_large(name))).collect::<Result<_, _>>()?;
        self.initializers.push(TensorProto {
            name: name.to_string(),
            dims,
            data_type: DataType::Float as i32,
            float_data: values.to_vec(),
            ..TensorProto::default()
        });
        Ok(name.to_string())
    }

    fn node(&mut self, op: &str, inputs: &[&str], outputs: &[&str], attribute: Vec<AttributeProto>) {
        let name = format!("{}_{}", op.to_lowercase(), self.nodes.len());
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: outputs.iter().map(|s| s.to_string()).collect(),
            name,
            op_type: op.to_string(),
            attribute,
            ..NodeProto::default()
        });
    }

    /// `Gemm(x, head.weight, head.bias, transB = 1)` to [`CLASSES`], then
    /// `Softmax(axis = -1)` into the graph output.
    fn classifier_head(&mut self, x: &str, width: usize, weights: &[f32], bias: &[f32]) -> Result<(), OnnxError> {
        let w = self.initializer("head.weight", &[CLASSES, width], weights)?;
        let b = self.initializer("head.bias", &[CLASSES], bias)?;
        self.node("Gemm", &[x, &w, &b], &["head.logits"], vec![attr_int("transB", 1)]);
        self.node("Softmax", &["head.logits"], &[OUTPUT_NAME], vec![attr_int("axis", -1)]);
        Ok(())
    }

    fn finish(self, name: &str, input: ValueInfoProto, output: ValueInfoProto) -> Vec<u8> {
        let model = ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET_VERSION }],
            producer_name: "tradebot-onnx".to_string(),
            producer_version: env!("CARGO_PKG_VERSION").to_string(),
            graph: Some(GraphProto {
                node: self.nodes,
                name: name.to_string(),
                initializer: self.initializers,
                input: vec![input],
                output: vec![output],
                ..GraphProto::default()
            }),
            ..ModelProto::default()
        };
        model.encode_to_vec()
    }
}

enum Dim<'a> {
    Fixed(usize),
    Param(&'a str),
}

fn value_info(name: &str, dims: &[Dim<'_>]) -> Result<ValueInfoProto, OnnxError> {
    let dim = dims
        .iter()
        .map(|d| {
            let value = match d {
                Dim::Fixed(n) => DimValue::DimValue(i64::try_from(*n).map_err(|_| too_large(name))?),
                Dim::Param(p) => DimValue::DimParam(p.to_string()),
            };
            Ok(Dimension { value: Some(value), ..Dimension::default() })
        })
        .collect::<Result<_, OnnxError>>()?;
    Ok(ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..TypeProto::default()
        }),
        ..ValueInfoProto::default()
    })
}

fn attr_int(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.to_string(), r#type: AttributeType::Int as i32, i, ..AttributeProto::default() }
}

fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Ints as i32,
        ints: ints.to_vec(),
        ..AttributeProto::default()
    }
}
