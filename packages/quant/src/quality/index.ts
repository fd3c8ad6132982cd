/** How far an NVFP4 output is from its FP8 source: the per-tensor quality report and dequantizers. */
export { compareToReference, dequantizeFp8Block, dequantizeMxfp4, dequantizeNvfp4 } from "./dequantize.ts";
export {
  buildQualityReport,
  type LayerQuality,
  layerOf,
  type Mxfp4Summary,
  type Mxfp4TensorQuality,
  mxfp4SummaryLine,
  QUALITY_JSON_FILE,
  QUALITY_MARKDOWN_FILE,
  type QualityReport,
  renderQualityMarkdown,
  type TensorQuality,
} from "./report.ts";
