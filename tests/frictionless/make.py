"""Descriptors written by frictionless-py (see make.sh), and frictionless-py's verdict on
what `sotecheck init` writes. Run by make.sh from the repository root.

- demo.describe-v2.json: `frictionless describe` of the demo CSVs (comma, UTF-8): no
  dialect; `integer` inferred on the code columns (service_code, municipality, sex, …).
- finnish-export.describe-v2.json: the same of the Finnish-export CSVs (`;`, decimal
  comma): frictionless-py 5's nested dialect `{"csv": {"delimiter": ";"}}`, and `string`
  inferred on the decimal-comma columns.
- finnish-export.describe-v1.json: the same with `--standards v1`: the flat dialect
  `{"delimiter": ";"}` of Data Package v1.
- finnish-export.decimal-comma-v2.json: the v2 description with the decimal comma declared
  through frictionless-py's own API (`number` fields with `decimal_char=","`), as a user of
  that tool would fix it.
- validate-init.txt: `frictionless validate` on `sotecheck init`'s descriptors.

None of them has the `sote` property (frictionless-py knows nothing of it): the tests add it.
"""
import glob, json, os, shutil, subprocess, tempfile
import frictionless
from frictionless import Package

OUT = "tests/frictionless"
SOTECHECK = os.environ.get("SOTECHECK", "target/debug/sotecheck")


def copy_csvs(src, dst):
    os.makedirs(dst)
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, "*.csv")))
    for n in names:
        shutil.copy(os.path.join(src, n), dst)
    return names


def describe(folder, names, *extra):
    out = subprocess.run(["frictionless", "describe", "--type", "package", "--json", *extra, *names],
                         cwd=folder, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def save(name, descriptor):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(descriptor, f, indent=2, ensure_ascii=False)
        f.write("\n")


def validate(folder):
    r = subprocess.run(["frictionless", "validate", "--json", "datapackage.json"], cwd=folder,
                       capture_output=True, text=True)
    report = json.loads(r.stdout)
    tasks = [(t["name"], t["valid"], [e["type"] for e in t["errors"]][:5]) for t in report["tasks"]]
    return report["valid"], tasks


with tempfile.TemporaryDirectory() as tmp:
    demo = os.path.join(tmp, "demo")
    names = copy_csvs("fixtures/demo", demo)
    save("demo.describe-v2.json", describe(demo, names))

    fi = os.path.join(tmp, "finnish-export")
    names = copy_csvs("fixtures/variants/finnish-export", fi)
    save("finnish-export.describe-v2.json", describe(fi, names))
    save("finnish-export.describe-v1.json", describe(fi, names, "--standards", "v1"))

    # The decimal comma declared with frictionless-py's API, on its own description.
    with open(os.path.join(OUT, "finnish-export.describe-v2.json"), encoding="utf-8") as f:
        package = Package(json.load(f), basepath=fi)
    for resource in package.resources:
        for field in resource.schema.fields:
            if field.name in ("amount_eur", "fte"):
                number = frictionless.fields.NumberField(name=field.name, decimal_char=",")
                resource.schema.set_field(number)
    save("finnish-export.decimal-comma-v2.json", package.to_descriptor())

    lines = [f"frictionless {frictionless.__version__}: `frictionless validate` on what `sotecheck init` writes",
             "(made by tests/frictionless/make.sh; the Rust tests do not run Python)", ""]
    # The Finnish export with cost centres that need Windows-1252 (`KÄ2131P`), as in
    # tests/init.rs.
    cp1252 = os.path.join(tmp, "finnish-export-cp1252")
    for name in copy_csvs("fixtures/variants/finnish-export", cp1252):
        path = os.path.join(cp1252, name)
        with open(path, encoding="utf-8") as f:
            text = f.read().replace("CC", "KÄ")
        with open(path, "w", encoding="cp1252", newline="") as f:
            f.write(text)
    for label, src in [("demo", "fixtures/demo"), ("finnish-export", "fixtures/variants/finnish-export"),
                       ("finnish-export-cp1252", cp1252)]:
        folder = os.path.join(tmp, "init-" + label)
        copy_csvs(src, folder)
        subprocess.run([SOTECHECK, "init", folder, "--region", "08", "--period", "2025"], check=True,
                       capture_output=True)
        valid, tasks = validate(folder)
        lines.append(f"{label}: {'VALID' if valid else 'INVALID'}")
        for name, ok, errors in tasks:
            lines.append(f"  {name}: {'valid' if ok else 'invalid ' + ', '.join(errors)}")
    # frictionless-py's own decimal-comma descriptor, as a check of the fixture itself.
    folder = os.path.join(tmp, "decimal-comma")
    copy_csvs("fixtures/variants/finnish-export", folder)
    shutil.copy(os.path.join(OUT, "finnish-export.decimal-comma-v2.json"), os.path.join(folder, "datapackage.json"))
    valid, _ = validate(folder)
    lines.append(f"finnish-export.decimal-comma-v2.json (frictionless-py's own): {'VALID' if valid else 'INVALID'}")
    with open(os.path.join(OUT, "validate-init.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
