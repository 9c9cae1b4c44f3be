"""`mkmultiarch audit`: will every image we deploy run on the arches we need?

- uses.py: the Use found in a file (file, line, reference, what it needs),
  variable substitution, YAML read as nodes (for line numbers);
- the readers, one per format: kubernetes.py (and Helm/kustomize output),
  compose.py, dockerfile.py, ci.py (GitHub Actions, GitLab CI), project.py
  (multiarch.yaml);
- sources.py: which files to read (a walk honouring .gitignore), and which reader;
- resolve.py: each unique reference asked of its registry once, concurrently,
  429s honoured;
- check.py: the required arches, and what each reference lacks;
- report.py: text table, JSON, GitHub annotations.
"""
