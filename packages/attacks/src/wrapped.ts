// The brand of attacks made by `defineAttack`. The symbol is not exported from the package, so
// code outside it cannot build an object of type `Attack`; `registerAttack` checks the brand
// at run time too (plain JavaScript plug-ins have no types).
export const wrapped: unique symbol = Symbol("rho attack, wrapped by defineAttack");

const made = new WeakSet<object>();
export const markWrapped = (a: object): void => {
  made.add(a);
};
export const isWrapped = (a: unknown): boolean => typeof a === "object" && a !== null && made.has(a);
