// rho's version: recorded in every run.json; a run of another version is not resumed, merged or compared.
// 0.2.0: run identity covers every model file, the target and --points; attacks record their family.
export const VERSION = "0.2.0";
