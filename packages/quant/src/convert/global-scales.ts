/**
 * NVFP4 global scales: gs = amax / (6 · 448) of a weight, or of its whole fused group when engines
 * merge it with others into one GEMM (each expert's w1+w3, wq_a+wkv, ...): the merged weight has
 * one global scale, so every member is quantized with the group's. Amaxes and group scales are
 * computed once per run and shared by every member, whichever shard it lands in.
 */
import type { Nvfp4Kernel } from "../nvfp4/kernel.ts";
import { nvfp4GlobalScale } from "../nvfp4/reference.ts";
import type { CheckpointPlan } from "../rules/plan.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { ComputeQueue } from "./compute-queue.ts";
import type { Fp8Loader } from "./fp8-loader.ts";
import { withTensorContext } from "./source-errors.ts";

export class GlobalScales {
  private readonly amaxes = new Map<string, Promise<number>>();
  private readonly groups = new Map<string, Promise<number>>();

  constructor(
    private readonly plan: CheckpointPlan,
    private readonly loader: Fp8Loader,
    private readonly kernel: Nvfp4Kernel,
    private readonly compute: ComputeQueue,
    private readonly fileOf: (tensor: TensorPlan) => string,
  ) {}

  /** @param priority the compute queue priority of the amax passes this may start */
  of(weight: TensorPlan, priority: number): Promise<number> {
    const key = weight.fusedGroup;
    if (key === undefined) return this.amaxOf(weight, priority, true).then(nvfp4GlobalScale);
    let group = this.groups.get(key);
    if (group === undefined) {
      const members = (this.plan.fusedGroups.get(key) ?? [weight.name]).map(
        (m) => this.plan.byName.get(m) as TensorPlan,
      );
      group = Promise.all(members.map((m) => this.amaxOf(m, priority, m.name === weight.name))).then(
        (amaxes) => nvfp4GlobalScale(Math.max(...amaxes)),
      );
      this.groups.set(key, group);
    }
    return group;
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
