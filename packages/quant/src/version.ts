/** Version of fp4kit written into the files it produces. */
export const FP4KIT_VERSION = "0.1.0";
