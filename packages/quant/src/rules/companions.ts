/**
 * Scale companions: `<module>.weight_scale_inv` (HF layout) or `<module>.scale` (DeepSeek's V4
 * layout; vLLM maps `\.scale$` to `.weight_scale_inv` at load time) belong to `<module>.weight`.
 */
export const SCALE_NAMINGS = ["weight_scale_inv", "scale"] as const;
export type ScaleNaming = (typeof SCALE_NAMINGS)[number];

const WEIGHT_SUFFIX = ".weight";

/** Candidate scale names for a weight name, in lookup order. */
export function scaleCandidates(weightName: string): { name: string; naming: ScaleNaming }[] {
  if (!weightName.endsWith(WEIGHT_SUFFIX)) return [];
  const module = weightName.slice(0, -WEIGHT_SUFFIX.length);
  return SCALE_NAMINGS.map((naming) => ({ name: `${module}.${naming}`, naming }));
}

/** The weight a scale-named tensor would belong to, or undefined for other names. */
export function scaleOwner(name: string): { weight: string; naming: ScaleNaming } | undefined {
  for (const naming of SCALE_NAMINGS) {
    const suffix = `.${naming}`;
    if (name.endsWith(suffix)) return { weight: `${name.slice(0, -suffix.length)}${WEIGHT_SUFFIX}`, naming };
  }
  return undefined;
}

export function scaleNamingOf(scaleName: string): ScaleNaming | undefined {
  return scaleOwner(scaleName)?.naming;
}
