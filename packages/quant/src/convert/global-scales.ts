/**
 * NVFP4 global scales: gs = amax / (6 · 448) of a weight, or of its whole fused group when engines
 * merge it with others into one GEMM (each expert's w1+w3, wq_a+wkv, ...): the merged weight has
 * one global scale, so every member is quantized with the group's. Amaxes and group scales are
 * computed once per run and shared by every member, whichever shard it lands in. MXFP4 weights
 * (whose groups are all MXFP4: the plan keeps mixed groups) get gs = 2^G from their largest E8M0
 * block scale instead, read from the scale companions alone.
 */
import type { Nvfp4Kernel } from "../nvfp4/kernel.ts";
import { MXFP4_BLOCK, maxScaleByte, mxfp4GlobalExponent } from "../nvfp4/mxfp4.ts";
import { nvfp4GlobalScale } from "../nvfp4/reference.ts";
import type { CheckpointPlan } from "../rules/plan.ts";
import { logicalShape } from "../rules/plan.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { ComputeQueue } from "./compute-queue.ts";
import type { Fp8Loader } from "./fp8-loader.ts";
import { withTensorContext } from "./source-errors.ts";
import type { SourceReader } from "./source-reader.ts";

export class GlobalScales {
  private readonly amaxes = new Map<string, Promise<number>>();
  private readonly groups = new Map<string, Promise<number>>();

  constructor(
    private readonly plan: CheckpointPlan,
    private readonly reader: SourceReader,
    private readonly loader: Fp8Loader,
    private readonly kernel: Nvfp4Kernel,
    private readonly compute: ComputeQueue,
    private readonly fileOf: (tensor: TensorPlan) => string,
  ) {}

  /** @param priority the compute queue priority of the amax passes this may start */
  of(weight: TensorPlan, priority: number): Promise<number> {
    const key = weight.fusedGroup;
    if (weight.sourceFormat === "mxfp4") return this.mxfp4Of(weight, key);
    if (key === undefined) return this.amaxOf(weight, priority, true).then(nvfp4GlobalScale);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = Promise.all(
        this.members(key, weight).map((m) => this.amaxOf(m, priority, m.name === weight.name)),
      ).then((amaxes) => nvfp4GlobalScale(Math.max(...amaxes)));
      this.groups.set(key, group);
    }
    return group;
  }

  private members(key: string, weight: TensorPlan): TensorPlan[] {
    return (this.plan.fusedGroups.get(key) ?? [weight.name]).map(
      (m) => this.plan.byName.get(m) as TensorPlan,
    );
  }

  /** 2^G from the largest E8M0 byte of the weight, or of its fused group. */
  private mxfp4Of(weight: TensorPlan, key: string | undefined): Promise<number> {
    const cacheKey = key ?? weight.name;
    let gs = this.groups.get(cacheKey);
    if (gs === undefined) {
      const members = key === undefined ? [weight] : this.members(key, weight);
      gs = Promise.all(members.map((m) => this.maxScaleByteOf(m))).then((bytes) => {
        const found = bytes.filter((b): b is number => b !== undefined);
        return 2 ** mxfp4GlobalExponent(found.length === 0 ? undefined : Math.max(...found));
      });
      this.groups.set(cacheKey, gs);
    }
    return gs;
  }

  private async maxScaleByteOf(weight: TensorPlan): Promise<number | undefined> {
    const scale = this.plan.byName.get(weight.scale?.name ?? "") as TensorPlan;
    const bytes = await this.reader.readScaleBytes(scale);
    try {
      return maxScaleByte(bytes, logicalShape(weight)[1] / MXFP4_BLOCK);
    } catch (error) {
      throw withTensorContext(error, scale, this.fileOf(scale));
    }
  }

  private amaxOf(weight: TensorPlan, priority: number, byOwnUnit: boolean): Promise<number> {
    let amax = this.amaxes.get(weight.name);
    if (amax === undefined) {
      amax = this.loader
        .load(weight, byOwnUnit)
        .then(async (t) => {
          const value = await this.compute.run(() => this.kernel.amaxAsync(t), priority);
          this.loader.amaxDone(weight, t);
          return value;
        })
        .catch((error: unknown) => {
          throw withTensorContext(error, weight, this.fileOf(weight));
        });
      this.amaxes.set(weight.name, amax);
    }
    return amax;
  }
}
