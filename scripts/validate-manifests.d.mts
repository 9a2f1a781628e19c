// Types of scripts/validate-manifests.mjs, for the tests that import it.
export interface Manifest {
  file: string;
  doc: Record<string, any>;
}
export function loadManifests(dir: string): { manifests: Manifest[]; kustomization?: Record<string, any>; files: string[] };
export function validateDocuments(manifests: Manifest[], opts?: { kustomization?: Record<string, any>; files?: string[] }): Promise<string[]>;
export function validateManifests(dir?: string): Promise<{ manifests: Manifest[]; problems: string[] }>;
