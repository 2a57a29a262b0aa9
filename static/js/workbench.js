// 工作台：小的增强，不用 JavaScript 也能办理。
(function () {
  function wireCheckAll(root) {
    // A header checkbox with data-check-all="ids" ticks every row checkbox of that name in its form.
    root.querySelectorAll("[data-check-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        var scope = box.form || document;
        scope.querySelectorAll('input[type=checkbox][name="' + box.getAttribute("data-check-all") + '"]').forEach(function (el) {
          el.checked = box.checked;
        });
      });
    });
  }

  function wireConfirm(root) {
    // site.js wires [data-confirm] once at load; content swapped in by htmx needs it again.
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireCheckAll(document);
    // Filter forms marked data-autosubmit reload when a select changes.
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    // Approve: ticking "不采纳会审意见" makes the reason required.
    var form = document.getElementById("action-approve");
    if (form) {
      var box = form.querySelector('input[name="approve-override"]');
      var reason = form.querySelector('textarea[name="approve-reason"]');
      if (box && reason) {
        var sync = function () { reason.required = box.checked; };
        box.addEventListener("change", sync);
        sync();
      }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    wireCheckAll(event.target);
    wireConfirm(event.target);
  });
})();
