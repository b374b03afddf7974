// Lint rules: typescript-eslint's recommended set, plus the layering rule that
// keeps imports pointing down the pipeline (runtime must not reach into the compiler).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/support/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["../onnx/*", "../graph/*", "../te/*", "../loop/*", "../schedule/*", "../codegen/*", "../runtime/*", "../compiler/*", "../cli/*"] }],
    },
  },
  {
    files: ["src/runtime/session.ts", "src/runtime/tensor.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: ["fs", "node:fs", "path", "node:path", "worker_threads", "node:worker_threads"] }],
    },
  },
);
