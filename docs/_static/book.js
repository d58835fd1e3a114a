// Fixes to the theme and its extensions, loaded (deferred) on every page after them.

// Opened from disk (file://), the browser refuses the requests that fetch each result's
// summary, and the search stops halfway with errors: list the results without summaries.
if (location.protocol === "file:") DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;

// Sphinx's Korean catalog leaves the closing line of a search empty (Sphinx 9.0).
if (DOCUMENTATION_OPTIONS.LANGUAGE === "ko") {
  Object.assign(Documentation.TRANSLATIONS, {
    "Search finished, found one page matching the search query.": [
      "검색을 마쳤습니다. 검색어와 일치하는 페이지를 ${resultCount}개 찾았습니다.",
    ],
  });
}

// A button's tooltip opens on hover and on focus, and a click leaves the button focused: the
// tooltip would stay up over the next button. Close it once the button is used.
document.addEventListener(
  "click",
  (event) => {
    const button = event.target.closest?.('[data-bs-toggle="tooltip"]');
    if (button && window.bootstrap) bootstrap.Tooltip.getInstance(button)?.hide();
  },
  true,
);

// sphinx-copybutton has no Korean messages: add them, and relabel the buttons it has added.
if (document.documentElement.lang === "ko" && typeof messages !== "undefined") {
  messages.ko = {
    copy: "복사",
    copy_to_clipboard: "클립보드에 복사",
    copy_success: "복사했습니다",
    copy_failure: "복사하지 못했습니다",
  };
  locale = "ko";
  const retitle = (svg, title) => svg.replace(/<title>.*?<\/title>/, `<title>${title}</title>`);
  iconCopy = retitle(iconCopy, messages.ko.copy_to_clipboard);
  iconCheck = retitle(iconCheck, messages.ko.copy_success);
  for (const button of document.querySelectorAll(".copybtn")) {
    button.dataset.tooltip = messages.ko.copy;
    button.innerHTML = iconCopy;
  }
}
