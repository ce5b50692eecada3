"""Translate SAM templates to CloudFormation with AWS's SAM translator.

The translator is aws-sam-translator, the library behind CloudFormation's
AWS::Serverless-2016-10-31 transform; cfn-lint runs it the same way
(cfnlint/template/transforms/_sam.py), except that this program keeps the
translator's own validation of SAM resources, which cfn-lint switches off.

Input (stdin), JSON:
  {"out_dir": "...", "workers": 2,
   "jobs": [{"name": "primary",            # output file <out_dir>/<name>.json
             "template_path": "...",       # or "template": "<YAML text>"
             "region": "us-east-1",
             "parameters": {"Role": "primary", ...},
             "artifact_bucket": "...", "artifact_prefix": "..."}]}
Output (stdout), JSON:
  {"samtranslator": "1.110.0", "cfnlint": "1.51.0",
   "results": [{"name": "primary", "file": "<out_dir>/primary.json", "errors": []}]}

A local CodeUri becomes s3://<artifact_bucket>/<artifact_prefix>/<md5 of the
path>, the shape `sam package` gives it (the translator accepts only S3
locations). The region of each job is the region of its boto3 session, from
which the translator takes AWS::Region and the partition of the ARNs it
writes.
"""

import concurrent.futures
import copy
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import multiprocessing
import os
import sys

import boto3
import samtranslator
import yaml
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import intrinsics_multi_constructor

# The translator logs feature-toggle and metrics chatter; errors come back
# as exceptions.
logging.getLogger("samtranslator").setLevel(logging.CRITICAL)


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """samtranslator's yaml_parse (the AWS CLI's YAML helper), on libyaml
    when PyYAML has it, without registering the tags on yaml.SafeLoader."""


_Loader.add_multi_constructor("!", intrinsics_multi_constructor)


def _managed_policies():
    """cfn-lint's list of AWS managed policies, the map cfn-lint gives the
    translator, read without importing cfn-lint (whose transform module
    replaces the translator's resource validation)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = os.path.join(spec.submodule_search_locations[0], "data", "Serverless", "ManagedPolicies.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError:
        return {}


MANAGED_POLICIES = _managed_policies()


def _artifact_uri(job, local_path):
    digest = hashlib.md5(str(local_path).encode()).hexdigest()  # noqa: S324 - a name, not a security hash
    parts = [job.get("artifact_bucket") or "aws-sam-cli-managed-default-samclisourcebucket-example"]
    if job.get("artifact_prefix"):
        parts.append(job["artifact_prefix"])
    parts.append(digest)
    return "s3://" + "/".join(parts)


def _package(job, template):
    """Replace local code locations by S3 URIs, as `sam package` does."""
    for res in (template.get("Resources") or {}).values():
        if not isinstance(res, dict):
            continue
        props = res.get("Properties")
        if not isinstance(props, dict):
            continue
        key = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}.get(res.get("Type"))
        if key is None:
            continue
        value = props.get(key)
        if isinstance(value, str) and not value.startswith("s3://"):
            props[key] = _artifact_uri(job, value)


def _load(job):
    if "template_path" in job:
        with open(job["template_path"], encoding="utf-8") as f:
            text = f.read()
    else:
        text = job["template"]
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def translate(job, out_dir):
    result = {"name": job["name"], "file": "", "errors": []}
    try:
        template = _load(job)
        if not isinstance(template, dict):
            raise ValueError("the template is not a mapping")
        _package(job, template)
        region = job["region"]
        os.environ["AWS_DEFAULT_REGION"] = region
        translator = Translator(
            managed_policy_map=copy.deepcopy(MANAGED_POLICIES),
            sam_parser=Parser(),
            boto_session=boto3.session.Session(region_name=region),
        )
        out = translator.translate(
            sam_template=template,
            parameter_values=dict(job.get("parameters") or {}),
            passthrough_metadata=True,
        )
    except InvalidDocumentException as e:
        result["errors"] = [c.message for c in e.causes] or [e.message]
        return result
    except Exception as e:  # noqa: BLE001 - reported per job, like cfn-lint's E0001
        result["errors"] = [f"{type(e).__name__}: {e}"]
        return result
    path = os.path.join(out_dir, job["name"] + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, default=str)
        f.write("\n")
    result["file"] = path
    return result


def main():
    req = json.load(sys.stdin)
    out_dir, jobs = req["out_dir"], req["jobs"]
    workers = max(1, min(int(req.get("workers") or 1), len(jobs)))
    if workers == 1:
        results = [translate(job, out_dir) for job in jobs]
    else:
        # fork: the workers inherit the imported translator.
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(translate, jobs, [out_dir] * len(jobs), chunksize=max(1, len(jobs) // (4 * workers))))
    try:
        cfnlint = importlib.metadata.version("cfn-lint")
    except importlib.metadata.PackageNotFoundError:
        cfnlint = ""
    json.dump({"samtranslator": samtranslator.__version__, "cfnlint": cfnlint, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
