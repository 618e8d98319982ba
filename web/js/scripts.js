// The script_config fields of every API script (CONTRACT "Scripts"), as
// data for the create form: the same rules as the server's tables in
// model/script_config.cpp and model/script_checks.cpp. The server stays the
// judge: the form shows these rules (hints, defaults, conditions) and sends
// what the user typed; a value the server refuses comes back as its 40001
// message naming the field.
//
// A field:
//   name      the script_config key
//   type      "int" | "number" | "string" | "bool" | "enum" | "list" (string
//             list) | "object" (with `fields`)
//   label     what the form says
//   default   the server's default when the field is missing (absent: none)
//   min, max  inclusive bounds of int / number fields (max absent: none
//             beyond the server's int range)
//   choices   enum values, in order; values are strings unless `ints`
//   ints      enum values are integers (content_type, add_product_link)
//   loose     enum that the server also takes as an integer (add_sound)
//   multiline string shown as a textarea (one item per line)
//   split     list items are split on "lines" or "lines,commas"
//   required  always required (follow targets, comment URLs and content)
//   requiredWhen {field, is, unlessGiven?}: required when `field` equals
//             `is` (and `unlessGiven` is empty), as the server checks it
//   shownWhen {field, is}: only shown (and sent) when `field` equals `is`;
//             a hidden field is not sent
//   alias     another key the server folds into this one (target_user into
//             target_users): not a form input, read when a stored body is
//             loaded into the form
//   secret    a secret the replies show as "***" (chatgpt_settings.api_key)
//   help      a hint shown under the input

/// The server's upper bound for seconds and counts (INT32_MAX).
export const NO_LIMIT = 2147483647;

const seconds = (name, label, dflt) => ({
  name, type: "int", label, default: dflt, min: 0, max: NO_LIMIT,
  help: "seconds",
});
const percent = (name, label, dflt) => ({
  name, type: "int", label, default: dflt, min: 0, max: 100, help: "0-100",
});

const followFields = [
  {
    name: "target_users", type: "list", label: "Target users",
    split: "lines,commas", required: true,
    help: "one username per line (or comma separated); one task per target " +
      "per device or account",
  },
  { name: "target_user", type: "string", alias: "target_users",
    label: "Target user (text, split on newlines and commas)" },
  { name: "target_username", type: "string", alias: "target_users",
    label: "Target username (as the TikMatrix examples send it)" },
  {
    name: "access_method", type: "enum", label: "Access method",
    choices: ["direct", "search"], default: "direct",
  },
];

export const SCRIPTS = {
  post: {
    label: "Post",
    fields: [
      {
        name: "content_type", type: "enum", ints: true, label: "Content type",
        choices: [0, 1], choiceLabels: { 0: "0 - video", 1: "1 - images" },
        default: 0,
      },
      { name: "image_count", type: "int", label: "Image count", default: 1,
        min: 1, max: NO_LIMIT, help: "at least 1 (image posts)" },
      { name: "captions", type: "string", multiline: true, label: "Captions",
        default: "", help: "spintax {a|b} allowed" },
      {
        name: "post_way", type: "enum", label: "Post way",
        choices: ["share", "addButton", "useSound"], default: "share",
      },
      {
        name: "material_source", type: "enum", label: "Material source",
        choices: ["materialLibrary", "localFolder"],
        default: "materialLibrary",
      },
      {
        name: "material_path", type: "string", label: "Material path",
        shownWhen: { field: "material_source", is: "localFolder" },
        requiredWhen: { field: "material_source", is: "localFolder",
          unlessGiven: "material_list" },
        help: "required for localFolder unless a material list is given",
      },
      { name: "material_list", type: "list", split: "lines",
        label: "Material list",
        help: "one file per line; when given, overrides source and path" },
      { name: "materials_tags", type: "string", label: "Materials tags" },
      seconds("upload_wait_time", "Upload wait time", 30),
      seconds("sound_wait_time", "Sound wait time", 10),
      {
        name: "add_sound", type: "enum", loose: true, label: "Add sound",
        choices: ["-1", "0", "1", "custom"], default: "-1",
      },
      {
        name: "sound_name", type: "string", label: "Sound name",
        shownWhen: { field: "post_way", is: "useSound" },
        requiredWhen: { field: "post_way", is: "useSound" },
      },
      {
        name: "custom_sound_keyword", type: "string",
        label: "Custom sound keyword",
        shownWhen: { field: "add_sound", is: "custom" },
        requiredWhen: { field: "add_sound", is: "custom" },
      },
      percent("origin_sound_volume", "Original sound volume", 50),
      percent("add_sound_volume", "Added sound volume", 50),
      {
        name: "add_product_link", type: "enum", ints: true,
        label: "Add product link", choices: [0, 1], default: 0,
        choiceLabels: { 0: "0 - no", 1: "1 - yes" }, help: "TikTok",
      },
      {
        name: "placement", type: "enum", label: "Placement",
        choices: ["reel", "story"], default: "reel", help: "Instagram",
      },
    ],
  },
  follow: { label: "Follow", fields: followFields },
  unfollow: { label: "Unfollow", fields: followFields },
  account_warmup: {
    label: "Account warm-up",
    fields: [
      seconds("task_duration", "Task duration", 600),
      { name: "topic", type: "string", multiline: true, label: "Topics",
        default: "", help: "one topic per line" },
      { ...seconds("min_duration", "Min watch per video", 15),
        help: "seconds, <= max" },
      { ...seconds("max_duration", "Max watch per video", 30),
        help: "seconds, >= min" },
      percent("like_probable", "Like probability", 0),
      // sic: the public API's spelling
      percent("floow_probable", "Follow probability (floow_probable)", 0),
      percent("collect_probable", "Collect probability", 0),
      percent("comment_probable", "Comment probability", 0),
      { name: "comment", type: "string", multiline: true, label: "Comments",
        default: "", help: "one comment per line" },
      { name: "insert_emoji", type: "bool", label: "Insert emoji",
        default: false },
      {
        name: "comment_order", type: "enum", label: "Comment order",
        choices: ["random", "sequential"], default: "random",
      },
      { name: "generate_by_chatgpt", type: "bool",
        label: "Generate comments with ChatGPT", default: false },
      {
        name: "chatgpt_settings", type: "object", label: "ChatGPT settings",
        shownWhen: { field: "generate_by_chatgpt", is: true },
        requiredWhen: { field: "generate_by_chatgpt", is: true },
        fields: [
          {
            name: "api_key", type: "string", label: "API key", secret: true,
            requiredWhen: { field: "generate_by_chatgpt", is: true },
            help: "stored for the script; shown as *** everywhere",
          },
          { name: "model", type: "string", label: "Model",
            default: "gpt-3.5-turbo" },
          { name: "prompt", type: "string", multiline: true, label: "Prompt",
            default: "" },
          { name: "max_tokens", type: "int", label: "Max tokens", default: 100,
            min: 1, max: NO_LIMIT },
          { name: "temperature", type: "number", label: "Temperature",
            default: 0.7, min: 0, max: 2, help: "0-2" },
          { name: "base_url", type: "string", label: "Base URL", default: "" },
        ],
      },
    ],
  },
  comment: {
    label: "Comment",
    fields: [
      {
        name: "target_post_urls", type: "list", split: "lines,commas",
        label: "Post URLs", required: true,
        help: "http(s) URLs, one per line; one task per URL per device or " +
          "account",
      },
      { name: "target_post_url", type: "string", alias: "target_post_urls",
        label: "Post URL (text, split on newlines and commas)" },
      { name: "comment_content", type: "string", multiline: true,
        label: "Comment content", required: true,
        help: "one alternative per line" },
      {
        name: "comment_order", type: "enum", label: "Comment order",
        choices: ["random", "sequential"], default: "random",
      },
      { name: "insert_emoji", type: "bool", label: "Insert emoji",
        default: false },
      { name: "comment_image_path", type: "string", label: "Comment image path",
        default: "", help: "TikTok" },
    ],
  },
};

/// The API scripts, in the order the form offers them.
export const SCRIPT_NAMES = Object.keys(SCRIPTS);

/// Scripts of the product family the API refuses (40003).
export const UNAVAILABLE_SCRIPTS = [
  "like", "message", "super_marketing", "profile", "scrape_user",
];

/// Whether `field` applies given the sibling values `values` (an object of
/// the form's current values, same level, plus the script's top level for
/// fields of an object).
export function isShown(field, values) {
  const rule = field.shownWhen;
  return !rule || values[rule.field] === rule.is;
}

/// Whether `field` is required given the current `values`.
export function isRequired(field, values) {
  if (field.required)
    return true;
  const rule = field.requiredWhen;
  if (!rule || values[rule.field] !== rule.is)
    return false;
  const other = rule.unlessGiven && values[rule.unlessGiven];
  return !(other && other.length);
}
