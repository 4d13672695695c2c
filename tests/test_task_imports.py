"""Background work has one shape (docs/design.md, «Background work»): every task and every
``enqueue`` lives in its app's ``tasks.py``, which imports the modules doing the work and is
imported by the modules starting it, never both ways."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kabinet"
# The sandbox stands in for the bank's gateway in development: its task is the gateway's own.
NOT_OURS = {"kabinet.payments.sandbox.gateway"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for path in PACKAGE.rglob("*.py")
    if "migrations" not in path.parts and "tests" not in path.parts
}


def _imports(name: str) -> set[str]:
    """The project's modules ``name`` imports anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: _imports(name) for name in MODULES}
TASK_MODULES = sorted(name for name in MODULES if name.endswith(".tasks"))


def _reachable(start: str) -> set[str]:
    seen, stack = set(), [*GRAPH[start]]
    while stack:
        module = stack.pop()
        if module not in seen:
            seen.add(module)
            stack.extend(GRAPH[module])
    return seen


def test_every_app_with_background_work_has_its_tasks_module():
    assert TASK_MODULES == [
        "kabinet.appeals.tasks",
        "kabinet.billing.tasks",
        "kabinet.gisgkh.tasks",
        "kabinet.metering.tasks",
        "kabinet.payments.autopay.tasks",
        "kabinet.payments.tasks",
        "kabinet.receipts.tasks",
        "kabinet.webhooks.tasks",
    ]


@pytest.mark.parametrize("tasks", TASK_MODULES)
def test_no_module_the_tasks_run_imports_the_tasks_back(tasks):
    assert tasks not in _reachable(tasks)


def test_tasks_are_defined_and_queued_only_in_tasks_modules():
    outside = []
    for name, path in MODULES.items():
        if name in TASK_MODULES or name in NOT_OURS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "enqueue":
                outside.append(f"{name}:{node.lineno} .enqueue")
            if isinstance(node, ast.Name) and node.id == "task":
                outside.append(f"{name}:{node.lineno} @task")
    assert outside == []


def _tasks(tree) -> dict[str, ast.FunctionDef]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Name) and d.id == "task" for d in node.decorator_list)
    }


def _mentions_a_job(node) -> bool:
    return any(
        "job" in (sub.id if isinstance(sub, ast.Name) else sub.attr).lower()
        for sub in ast.walk(node)
        if isinstance(sub, ast.Name | ast.Attribute)
    )


def _parameters(task: ast.FunctionDef) -> list[str]:
    return [arg.arg for arg in [*task.args.args, *task.args.kwonlyargs]]


@pytest.mark.parametrize("tasks", TASK_MODULES)
def test_a_task_working_for_a_job_takes_its_pk_as_job_id(tasks):
    """A worker that keeps dying on a task fails the task's job by its ``job_id`` argument
    (kabinet/jobs/workers.py): a task that reads a job, or is queued with one, must take it so."""
    tree = ast.parse(MODULES[tasks].read_text())
    defined = _tasks(tree)
    wrong = [
        f"{name} reads a job but takes no job_id"
        for name, task in defined.items()
        if any(_mentions_a_job(statement) for statement in task.body)
        and "job_id" not in _parameters(task)
    ]
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        task = defined.get(getattr(call.func.value, "id", None))
        if call.func.attr != "enqueue" or task is None:
            continue
        given = dict(zip(_parameters(task), call.args, strict=False))
        given.update({keyword.arg: keyword.value for keyword in call.keywords})
        wrong.extend(
            f"{task.name} is queued with {ast.unparse(value)} as {name}, not as job_id"
            for name, value in given.items()
            if _mentions_a_job(value) != (name == "job_id")
        )
    assert wrong == []
