// Types of scripts/validate-manifests.mjs, for the tests that import it.
// biome-ignore lint/suspicious/noExplicitAny: arbitrary YAML documents
type Doc = Record<string, any>;
export interface Manifest {
  file: string;
  doc: Doc;
}
export function loadManifests(dir: string): { manifests: Manifest[]; kustomization?: Doc; files: string[] };
export function validateDocuments(manifests: Manifest[], opts?: { kustomization?: Doc; files?: string[] }): Promise<string[]>;
export function validateManifests(dir?: string): Promise<{ manifests: Manifest[]; problems: string[] }>;
