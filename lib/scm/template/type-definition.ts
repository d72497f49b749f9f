/** How lib/scm/template/k8s-types.ts (generated) describes a named Go type. */
export type TypeDefinition =
  | {
      readonly kind: "struct";
      /** `GoName:jsonKey:GoType[:flags]` separated by spaces; flags `u` unexported, `e` embedded. */
      readonly fields: string;
      readonly valueMethods: string;
      readonly pointerMethods: string;
    }
  | { readonly kind: "map"; readonly key: string; readonly elem: string }
  | { readonly kind: "slice"; readonly elem: string }
  | { readonly kind: string; readonly valueMethods: string };
