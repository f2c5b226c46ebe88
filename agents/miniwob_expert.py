"""The MiniWoB++ expert: a DOM oracle that reads `info["dom"]` and acts with pyautogui-style text.

Each step it reads the task's fields (`info["fields"]`, e.g. the target text) and the live DOM
(boxes in screen pixels), decides the next action from the page as it is now (what is typed,
checked, expanded), and explains it in words grounded in what it read: what the task asks,
which element answers it and where that element is. Most tasks are a short state machine over
the DOM, so a missed click is simply retried at the next step. Elements that are still moving
(accordion animations) are clicked only once their box is the same in two observations in a
row. `SOLVERS` lists the tasks it handles; `worlds.miniwob_tasks.MINIWOB_SUITE` names those it
solves reliably (measured success in docs/miniwob.md).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ..worlds.gui_actions import GUIAction
from .base import Agent, Decision

Element = dict[str, Any]


class Page:
    """The DOM of one observation, with lookups the solvers need."""

    def __init__(self, info: dict[str, Any], width: int, height: int):
        self.elements: list[Element] = info.get("dom", [])
        self.fields = dict(info.get("fields", []))
        self.utterance: str = info.get("utterance", "")
        self.width, self.height = width, height
        self.by_ref = {e["ref"]: e for e in self.elements}

    def visible(self, e: Element) -> bool:
        return (e["width"] > 0 and e["height"] > 0 and e["left"] + e["width"] > 0
                and e["top"] + e["height"] > 0 and e["left"] < self.width and e["top"] < self.height)

    def find(self, tag: str | None = None, text: str | None = None,
             where: Callable[[Element], bool] | None = None) -> list[Element]:
        return [e for e in self.elements if self.visible(e)
                and (tag is None or e["tag"] == tag) and (text is None or e["text"].strip() == text)
                and (where is None or where(e))]

    def children(self, e: Element) -> list[Element]:
        return [c for c in self.elements if c["parent"] == e["ref"]]

    def label_of(self, e: Element) -> str:
        """The words next to a checkbox or radio button: its label's text."""
        parent = self.by_ref.get(e["parent"])
        if parent is None:
            return ""
        return " ".join(c["text"].strip() for c in self.children(parent) if c["text"].strip())

    def point(self, e: Element, avoid: list[Element] = ()) -> tuple[int, int]:
        """A pixel inside `e` (its center if possible) that is not inside any `avoid` element."""
        left = max(0.0, e["left"])
        right = min(float(self.width), e["left"] + e["width"])
        top = max(0.0, e["top"])
        bottom = min(float(self.height), e["top"] + e["height"])
        cx, cy = (left + right) / 2, (top + bottom) / 2
        candidates = [(cx, cy)] + [(left + (right - left) * fx, top + (bottom - top) * fy)
                                   for fy in (0.5, 0.25, 0.75, 0.1, 0.9)
                                   for fx in (0.5, 0.25, 0.75, 0.1, 0.9)]
        for x, y in candidates:
            if not any(o["left"] <= x <= o["left"] + o["width"] and
                       o["top"] <= y <= o["top"] + o["height"] for o in avoid):
                return self._clamp(x, y)
        return self._clamp(cx, cy)

    def _clamp(self, x: float, y: float) -> tuple[int, int]:
        return min(max(int(x), 0), self.width - 1), min(max(int(y), 0), self.height - 1)


def _quoted(utterance: str) -> str | None:
    match = re.search(r'"([^"]*)"', utterance)
    return match.group(1) if match else None


def _box(e: Element) -> tuple:
    return (round(e["left"], 1), round(e["top"], 1), round(e["width"], 1), round(e["height"], 1))


class MiniWoBExpert(Agent):
    """DOM-oracle expert for the MiniWoB++ tasks in `SOLVERS` (see the module docstring)."""

    name = "expert"

    def __init__(self, env, seed: int | None = None):
        world = env.unwrapped
        self.world = world
        self.language = world.action_language
        self.task = world.task
        if self.task not in SOLVERS:
            raise ValueError(f"the MiniWoB expert has no solver for {self.task!r}; it solves: "
                             f"{', '.join(sorted(SOLVERS))}")
        self.solver = SOLVERS[self.task]
        self.seed = seed
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.seed = seed
        self.memory: dict[str, Any] = {}   # per-episode progress (clicked tabs, sequence step)
        self.last_boxes: dict[int, tuple] = {}

    def act(self, obs: dict[str, Any], info: dict[str, Any]) -> Decision:
        page = Page(info, self.language.width, self.language.height)
        self.page = page
        action, reasoning = self.solver(self, page)
        self.last_boxes = {e["ref"]: _box(e) for e in page.elements}
        return Decision(action=action, action_text=self.language.format(action),
                        reasoning=reasoning, extras={"task": self.task})

    # -- building blocks ------------------------------------------------------------------------
    def stable(self, e: Element) -> bool:
        """Whether `e` has not moved since the previous observation (animations are over)."""
        return self.last_boxes.get(e["ref"]) == _box(e)

    def click(self, e: Element, why: str, avoid: list[Element] = ()) -> tuple[GUIAction, str]:
        x, y = self.page.point(e, avoid)
        return GUIAction("click", (x, y)), f"{why} It is at ({x}, {y}), so I click it."

    def wait(self, why: str) -> tuple[GUIAction, str]:
        return GUIAction("wait"), why

    def fill(self, e: Element, value: str, what: str):
        """Next action to make the text field `e` hold `value`, or None if it already does."""
        if e["value"] == value:
            return None
        x, y = self.page.point(e)
        if not e["focused"]:
            return GUIAction("click", (x, y)), (f"The {what} field at ({x}, {y}) must hold "
                                                f'"{value}"; I click it to focus it first.')
        if e["value"]:
            return GUIAction("hotkey", ("ctrl", "a")), (
                f'The {what} field holds "{e["value"]}" instead of "{value}"; I select all of '
                "it to type over it.")
        return GUIAction("type", (value,)), f'The {what} field is focused; I type "{value}".'

    def submit(self, why: str, label: str | None = None) -> tuple[GUIAction, str]:
        buttons = [b for b in self.page.find("button")
                   if label is None or b["text"].strip().lower() == label.lower()]
        if not buttons:
            return self.wait(f"{why} The submit button is not on the page yet, so I wait.")
        return self.click(buttons[-1], f'{why} Next the "{buttons[-1]["text"].strip()}" button.')


# -- the solvers: one function per task family, (expert, page) -> (GUIAction, reasoning) ----------

def click_named_button(x: MiniWoBExpert, page: Page):
    target = page.fields.get("target") or _quoted(page.utterance) or ""
    buttons = page.find("button", target)
    if not buttons:
        return x.wait(f'The task asks to click the "{target}" button, but I do not see it yet.')
    others = [b for b in page.find("button") if b not in buttons]
    return x.click(buttons[0], f'The task asks to click the "{target}" button; I found it.', others)


def click_test(x: MiniWoBExpert, page: Page):
    buttons = page.find("button")
    if not buttons:
        return x.wait("The task asks to click the button, which is not shown yet.")
    return x.click(buttons[0], f'The task asks to click the button; the only button reads '
                   f'"{buttons[0]["text"].strip()}".')


def click_button_sequence(x: MiniWoBExpert, page: Page):
    done = x.memory.setdefault("clicked", [])
    order = ["ONE", "TWO"]
    target = order[min(len(done), 1)]
    buttons = page.find("button", target)
    if not buttons:
        return x.wait(f"The next button in the sequence, {target}, is not on the page.")
    done.append(target)
    others = [b for b in page.find("button") if b not in buttons]
    step = "first" if target == "ONE" else "then"
    return x.click(buttons[0], f"The task asks to click ONE, then TWO; {step} button {target}.",
                   others)


def _text_fields(page: Page) -> list[Element]:
    return page.find(where=lambda e: e["tag"] in ("input_text", "input_password", "textarea"))


def fill_form(x: MiniWoBExpert, page: Page):
    """enter-text, enter-text-2, enter-text-dynamic, enter-password, login-user."""
    f = page.fields
    fields = _text_fields(page)
    if x.task == "login-user":
        wanted = [("username", f.get("username", "")), ("password", f.get("password", ""))]
        pairs = [(next((e for e in fields if e["id"] == key), None), value, key)
                 for key, value in wanted]
        goal = f'The task asks to log in as "{f.get("username")}" with password "{f.get("password")}".'
    elif x.task == "enter-password":
        pairs = [(e, f.get("target", ""), "password" if i == 0 else "verify password")
                 for i, e in enumerate(fields[:2])]
        goal = f'The task asks to enter the password "{f.get("target")}" twice.'
    elif x.task == "enter-text-2":
        text = f.get("text", "")
        value = text.upper() if f.get("case") == "upper" else text.lower()
        pairs = [(fields[0] if fields else None, value, "text")]
        goal = f'The task asks to type "{text}" in {f.get("case")} case, that is "{value}".'
    else:
        pairs = [(fields[0] if fields else None, f.get("target", ""), "text")]
        goal = f'The task asks to enter "{f.get("target")}".'
    for element, value, what in pairs:
        if element is None:
            return x.wait(f"{goal} The {what} field is not on the page yet, so I wait.")
        step = x.fill(element, value, what)
        if step is not None:
            return step[0], f"{goal} {step[1]}"
    return x.submit(f"{goal} Every field holds what it should.")


def focus_text(x: MiniWoBExpert, page: Page):
    fields = page.find(where=lambda e: e["tag"].startswith("input"))
    index = int(page.fields.get("target", "1")) - 1 if x.task == "focus-text-2" else 0
    if len(fields) <= index:
        return x.wait("The text box to focus is not on the page yet.")
    nth = {0: "first", 1: "second", 2: "third"}.get(index, f"#{index + 1}")
    return x.click(fields[index], f"The task asks to focus the {nth} text box.")


def check_boxes(x: MiniWoBExpert, page: Page):
    """click-checkboxes (and -large, -transfer), click-option: set each box, then Submit."""
    radio = x.task == "click-option"
    targets = [v for k, v in page.fields.items() if k.startswith("target")]
    kind = "input_radio" if radio else "input_checkbox"
    boxes = page.find(kind)
    goal = (f"The task asks to select {', '.join(targets) if targets else 'nothing'} "
            "and click Submit.")
    for box in boxes:
        label = page.label_of(box)
        want = label in targets
        checked = box["value"] == "True"
        if want != checked:
            verb = "check" if want else "uncheck"
            return x.click(box, f'{goal} The box labeled "{label}" needs a {verb}.')
    return x.submit(f"{goal} All boxes are set.", "submit")


def click_link(x: MiniWoBExpert, page: Page):
    target = page.fields.get("target", "")
    links = page.find("span", target, lambda e: "alink" in e["classes"].split())
    if not links:
        return x.wait(f'The task asks to click the link "{target}", which I do not see yet.')
    return x.click(links[0], f'The task asks to click the link "{target}"; I found it.')


def click_dialog(x: MiniWoBExpert, page: Page):
    target = "x" if x.task == "click-dialog" else page.fields.get("target", "")
    if target == "x":
        close = page.find("button", where=lambda e: "ui-dialog-titlebar-close" in e["classes"]
                          or page.by_ref.get(e["parent"], {}).get("classes", "").startswith(
                              "ui-dialog-titlebar"))
        if not close:
            return x.wait('The task asks to close the dialog with its "x", not shown yet.')
        return x.click(close[0], 'The task asks to click the dialog\'s "x" (close) button.')
    buttons = page.find("button", target)
    if not buttons:
        return x.wait(f'The task asks to click the dialog button "{target}", not shown yet.')
    return x.click(buttons[0], f'The task asks to click the dialog button labeled "{target}".')


WIDGET_TAGS = {"radio": "input_radio", "checkbox": "input_checkbox", "text": "input_text",
               "textarea": "textarea", "button": "button"}


def click_widget(x: MiniWoBExpert, page: Page):
    kind = page.fields.get("target", "")
    found = page.find(WIDGET_TAGS.get(kind, kind))
    if not found:
        return x.wait(f'The task asks to click a "{kind}" widget, but none is shown.')
    return x.click(found[0], f'The task asks to click a "{kind}" widget; this one is a {kind}.')


def click_tab(x: MiniWoBExpert, page: Page):
    target = f"Tab #{page.fields.get('target', '')}"
    tabs = page.find("a", target)
    if not tabs:
        return x.wait(f'The task asks to click "{target}", which is not shown.')
    return x.click(tabs[0], f'The task asks to click on "{target}".')


def click_tab_2(x: MiniWoBExpert, page: Page):
    target = page.fields.get("target", "")
    links = page.find("span", target, lambda e: "alink" in e["classes"].split())
    if links:
        return x.click(links[0], f'The task asks to click the link "{target}"; it is shown '
                       "in the open tab.")
    tried = x.memory.setdefault("tabs", set())
    active = [t for t in page.find("li", where=lambda e: "ui-tabs-active" in e["classes"])]
    tried.update(c["text"] for t in active for c in page.children(t))
    for tab in page.find("a", where=lambda e: e["text"].startswith("Tab #")):
        if tab["text"] not in tried:
            tried.add(tab["text"])
            return x.click(tab, f'The task asks to click the link "{target}", which is not in '
                           f'the open tab; I open "{tab["text"]}" to look there.')
    return x.wait(f'The link "{target}" is in no tab I opened; I wait for the page.')


def _open_panels(page: Page) -> list[Element]:
    return page.find(where=lambda e: "ui-accordion-content" in e["classes"].split())


def click_collapsible(x: MiniWoBExpert, page: Page):
    goal = "The task asks to expand the section and click Submit."
    buttons = page.find("button")
    panels = _open_panels(page)
    if panels and buttons and x.stable(panels[0]) and x.stable(buttons[0]):
        return x.click(buttons[0], f"{goal} The section is open and has stopped moving; next "
                       "the Submit button.")
    if panels or x.memory.get("opened"):
        return x.wait(f"{goal} The section is opening; I wait until it stops moving.")
    headers = page.find("h3")
    if not headers:
        return x.wait(f"{goal} The section header is not shown yet.")
    x.memory["opened"] = True
    return x.click(headers[0], f'{goal} The section "{headers[0]["text"]}" is closed, and '
                   "clicking its header opens it.")


def click_collapsible_2(x: MiniWoBExpert, page: Page):
    target = page.fields.get("target", "")
    goal = f'The task asks to find and click the link "{target}" in the collapsed sections.'
    panels = _open_panels(page)
    settled = all(x.stable(p) for p in panels)
    links = page.find("span", target, lambda e: "alink" in e["classes"].split())
    if links and settled and x.stable(links[0]):
        return x.click(links[0], f"{goal} Its section is open and has stopped moving.")
    tried = x.memory.setdefault("sections", [])
    last = [h for h in page.find("h3") if tried and h["text"] == tried[-1]]
    # the panel of the header clicked last, directly below it (jQuery marks the header active
    # at once, but the panels start moving only a little later)
    below = [p for h in last for p in panels if abs(p["top"] - h["top"] - h["height"]) < 3]
    waited = x.memory.get("waited", 0)
    if links or not settled or (tried and not below and waited < 20):
        x.memory["waited"] = waited + 1
        return x.wait(f"{goal} A section is still opening; I wait until it stops moving.")
    x.memory["waited"] = 0
    for header in page.find("h3"):
        if header["text"] not in tried:
            tried.append(header["text"])
            return x.click(header, f'{goal} It is not in any open section; I open '
                           f'"{header["text"].strip()}" to look there.')
    return x.wait(f'{goal} I opened every section and did not see it; I wait.')


def navigate_tree(x: MiniWoBExpert, page: Page):
    target = page.fields.get("target", "")
    names = page.find("span", target, lambda e: e["classes"] in ("file", "folder"))
    if names:
        kind = names[0]["classes"]
        return x.click(names[0], f'The task asks to click the {kind} named "{target}"; it is '
                       "shown in the tree.")
    for hit in page.find("div", where=lambda e: "expandable-hitarea" in e["classes"]):
        li = page.by_ref.get(hit["parent"])
        folder = next((c["text"] for c in page.children(li) if c["tag"] == "span"), "?") \
            if li else "?"
        return x.click(hit, f'The task asks to click "{target}", which is not shown; I expand '
                       f'the closed folder "{folder}" to look inside.')
    return x.wait(f'"{target}" is not in the open tree; I wait.')


def choose_list(x: MiniWoBExpert, page: Page):
    target = page.fields.get("target", "")
    goal = f'The task asks to select "{target}" from the list and click Submit.'
    selects = page.find("select")
    if not selects:
        return x.wait(f"{goal} The list is not shown yet.")
    if not x.memory.get("chosen"):
        if not selects[0]["focused"]:
            return GUIAction("press", ("Tab",)), (f"{goal} I press Tab to focus the list without "
                                                  "opening it.")
        x.memory["chosen"] = True
        return GUIAction("type", (target,)), (f'{goal} The list is focused; typing "{target}" '
                                              "selects that entry.")
    return x.submit(f"{goal} It is selected.", "submit")


SHAPE_BUTTONS = {"rect": "Rectangle", "circle": "Circle", "polygon": "Triangle"}


def identify_shape(x: MiniWoBExpert, page: Page):
    svg = page.find("svg")
    shapes = [c for s in svg for c in page.children(s)]
    if not shapes:
        return x.wait("The figure is not drawn yet.")
    shape = shapes[0]
    if shape["tag"] == "text":
        answer = "Number" if shape["text"].strip().isdigit() else "Letter"
        seen = f'the figure is the character "{shape["text"].strip()}"'
    else:
        answer = SHAPE_BUTTONS.get(shape["tag"], "Rectangle")
        seen = f"the figure is an SVG {shape['tag']}"
    buttons = page.find("button", answer)
    if not buttons:
        return x.wait(f"{seen}, but the {answer} button is not shown.")
    return x.click(buttons[0], f"The task asks for the button that describes the figure; "
                   f"{seen}, so the answer is {answer}.")


def simple_arithmetic(x: MiniWoBExpert, page: Page):
    problem = next((e["text"] for e in page.find(where=lambda e: e["id"] == "math-problem")), "")
    match = re.match(r"\s*(-?\d+)\s*([-+x*])\s*(-?\d+)", problem)
    if not match:
        return x.wait("The math problem is not shown yet.")
    a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
    answer = str(a + b if op == "+" else a - b if op == "-" else a * b)
    goal = f'The task asks to solve "{problem.strip()}", which is {answer}.'
    box = page.find(where=lambda e: e["id"] == "math-answer")
    if not box:
        return x.wait(f"{goal} The answer box is not shown yet.")
    step = x.fill(box[0], answer, "answer")
    if step is not None:
        return step[0], f"{goal} {step[1]}"
    return x.submit(f"{goal} The answer is typed.", "submit")


def grid_coordinate(x: MiniWoBExpert, page: Page):
    gx, gy = page.fields.get("x", ""), page.fields.get("y", "")
    dots = page.find("circle", where=lambda e: e["id"] == f"({gx},{gy})")
    if not dots:
        return x.wait(f"The grid point ({gx},{gy}) is not drawn yet.")
    return x.click(dots[0], f"The task asks to click the grid coordinate ({gx},{gy}); its dot "
                   "is drawn there.")


def drag_box(x: MiniWoBExpert, page: Page):
    goal = "The task asks to drag the smaller box completely inside the larger box."
    boxes = {e["id"]: e for e in page.find("div")}
    small, large = boxes.get("draggableSmall"), boxes.get("draggableLarge")
    if small is None or large is None:
        return x.wait(f"{goal} The boxes are not shown yet.")
    inside = (small["left"] >= large["left"] and small["top"] >= large["top"]
              and small["left"] + small["width"] <= large["left"] + large["width"]
              and small["top"] + small["height"] <= large["top"] + large["height"])
    if inside:
        return x.submit(f"{goal} The small box is inside the large one.", "submit")
    (x1, y1), (x2, y2) = page.point(small), page.point(large)
    return GUIAction("drag", (x1, y1, x2, y2)), (
        f"{goal} The small box is at ({x1}, {y1}) and the large one's center at ({x2}, {y2}); "
        "I drag the small box onto that center.")


SOLVERS: dict[str, Callable] = {
    "click-button": click_named_button,
    "unicode-test": click_named_button,
    "click-test": click_test,
    "click-test-2": click_named_button,
    "click-test-transfer": click_named_button,
    "click-button-sequence": click_button_sequence,
    "enter-text": fill_form,
    "enter-text-2": fill_form,
    "enter-text-dynamic": fill_form,
    "enter-password": fill_form,
    "login-user": fill_form,
    "focus-text": focus_text,
    "focus-text-2": focus_text,
    "click-checkboxes": check_boxes,
    "click-checkboxes-large": check_boxes,
    "click-checkboxes-transfer": check_boxes,
    "click-option": check_boxes,
    "click-link": click_link,
    "click-dialog": click_dialog,
    "click-dialog-2": click_dialog,
    "click-widget": click_widget,
    "click-tab": click_tab,
    "click-tab-2": click_tab_2,
    "click-tab-2-easy": click_tab_2,
    "click-tab-2-medium": click_tab_2,
    "click-collapsible": click_collapsible,
    "click-collapsible-nodelay": click_collapsible,
    "click-collapsible-2": click_collapsible_2,
    "click-collapsible-2-nodelay": click_collapsible_2,
    "navigate-tree": navigate_tree,
    "choose-list": choose_list,
    "identify-shape": identify_shape,
    "simple-arithmetic": simple_arithmetic,
    "grid-coordinate": grid_coordinate,
    "drag-box": drag_box,
}
