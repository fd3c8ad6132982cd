/** The nvcc the build uses, or undefined where the CUDA toolkit is not installed. */
export function findNvcc(): string | undefined;
