import { describe, expect, it } from 'vitest';
import { InputError, collectManifestFiles, loadManifestFiles } from './manifests.js';
import type { ManifestFs } from './manifests.js';

function fakeFs(files: Record<string, string>): ManifestFs {
  return {
    isDirectory: (path) => {
      if (path in files) return false;
      if (Object.keys(files).some((f) => f.startsWith(`${path}/`))) return true;
      throw new Error('ENOENT');
    },
    readdir: (path) => Object.keys(files).filter((f) => f.startsWith(`${path}/`)).map((f) => f.slice(path.length + 1)),
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    },
  };
}

const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: nginx\n`;

describe('collectManifestFiles', () => {
  it('expands a directory to its yaml, yml and json files sorted by name, like kubectl apply -f dir', () => {
    const fs = fakeFs({ 'd/b.yml': '', 'd/a.yaml': '', 'd/c.json': '', 'd/README.md': '', 'x.yaml': '' });
    expect(collectManifestFiles(['x.yaml', 'd'], fs)).toEqual(['x.yaml', 'd/a.yaml', 'd/b.yml', 'd/c.json']);
  });

  it('keeps a file named twice once, at its first place', () => {
    const fs = fakeFs({ 'd/a.yaml': '', 'd/b.yaml': '' });
    expect(collectManifestFiles(['d/b.yaml', 'd'], fs)).toEqual(['d/b.yaml', 'd/a.yaml']);
  });

  it('names a path that does not exist', () => {
    expect(() => collectManifestFiles(['missing'], fakeFs({}))).toThrow(new InputError('missing: no such file or directory'));
  });
});

describe('loadManifestFiles', () => {
  it('resolves every document of every file to a served kind', () => {
    const fs = fakeFs({ 'a.yaml': `${pod('a')}---\n${pod('b')}` });
    const [file] = loadManifestFiles(['a.yaml'], fs);
    expect(file!.manifests.map((m) => `${m.resource.kind}/${m.object.metadata.name}`)).toEqual(['Pod/a', 'Pod/b']);
  });

  it('rejects a kind the cluster does not serve, naming the file, document and object', () => {
    const fs = fakeFs({ 'w.yaml': `${pod('a')}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n` });
    expect(() => loadManifestFiles(['w.yaml'], fs)).toThrow('w.yaml (document 2, Widget "w"): no matches for kind "Widget" in version "example.com/v1"');
  });

  it('rejects a field the schema refuses, naming the field path', () => {
    const fs = fakeFs({ 'p.yaml': pod('p').replace('image: nginx', 'image: nginx\n    ports:\n    - containerPort: banana') });
    expect(() => loadManifestFiles(['p.yaml'], fs)).toThrow(/^p\.yaml \(document 1, Pod "p"\): .*spec\.containers\[0\]\.ports\[0\]\.containerPort/);
  });
});
