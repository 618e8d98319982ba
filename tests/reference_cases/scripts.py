"""Tests of the reference scripts in scripts/, each run as the tmx runner
runs it against the shared fake adb server."""

import os
import subprocess

from .harness import (FOLLOW_BOUNDS, SCRIPTS, TIMEOUT, Case, env_for, inside,
                      remarks, run_script)


class ReferenceScripts(Case):
    def test_scripts_are_executable(self):
        for name in ("post", "follow", "unfollow", "comment",
                     "account_warmup"):
            self.assertTrue(os.access(os.path.join(SCRIPTS, name), os.X_OK),
                            name)

    def test_post_pushes_and_shares(self):
        clip = os.path.join(self.work, "my clip.mp4")
        with open(clip, "wb") as f:
            f.write(os.urandom(70001))
        # placement "reel" as tmx fills it in for every post: still TikTok.
        p = run_script("post", {"material_list": [clip], "upload_wait_time": 0,
                                "captions": "{Hello|Hi} there",
                                "placement": "reel"}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        events = self.events()
        self.assertIn("push %s /sdcard/DCIM/tmx/my clip.mp4 70001"
                      % self.serial, events)
        shells = [e for e in events if e.startswith("shell ")]
        self.assertTrue(any("MEDIA_SCANNER_SCAN_FILE" in e and
                            "file:///sdcard/DCIM/tmx/my%20clip.mp4" in e
                            for e in shells), shells)
        share = [e for e in shells if "android.intent.action.SEND" in e]
        self.assertEqual(len(share), 1, shells)
        for part in ("video/*", "--eu android.intent.extra.STREAM "
                     "file:///sdcard/DCIM/tmx/my%20clip.mp4",
                     "-p com.zhiliaoapp.musically"):
            self.assertIn(part, share[0])
        self.assertIn("open the TikTok share screen (video/*, 1 file)",
                      p.stdout)
        self.assertRegex(p.stdout, r"(?m)^caption: (Hello|Hi) there$")
        self.assertEqual(remarks(p), [])

    def test_post_images_to_instagram(self):
        paths = []
        for i in range(2):
            paths.append(os.path.join(self.work, "img%d.jpg" % i))
            with open(paths[-1], "wb") as f:
                f.write(b"\xff\xd8jpeg" * (i + 1))
        p = run_script("post", {"material_list": paths, "content_type": 1,
                                "upload_wait_time": 0, "placement": "story",
                                "platform": "instagram"}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        share = [e for e in self.events() if "SEND_MULTIPLE" in e]
        self.assertEqual(len(share), 1)
        self.assertIn("image/*", share[0])
        self.assertIn("-p com.instagram.android", share[0])
        self.assertIn("open the Instagram story share screen", p.stdout)

    def test_post_platform_choice(self):
        clip = os.path.join(self.work, "choice.mp4")
        with open(clip, "wb") as f:
            f.write(b"\0" * 10)
        for config, package in (({}, "com.zhiliaoapp.musically"),
                                ({"platform": "tiktok"},
                                 "com.zhiliaoapp.musically"),
                                ({"platform": "instagram"},
                                 "com.instagram.android")):
            config.update(material_list=[clip], upload_wait_time=0)
            before = len(self.events())
            p = run_script("post", config, self.serial)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            share = [e for e in self.events()[before:]
                     if "android.intent.action.SEND" in e]
            self.assertEqual(len(share), 1, config)
            self.assertIn("-p " + package, share[0], config)
        pushes = len([e for e in self.events() if e.startswith("push ")])
        p = run_script("post", {"material_list": [clip],
                                "platform": "facebook"}, self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ['platform must be "tiktok" or "instagram", '
                              'not "facebook"']))
        self.assertEqual(
            len([e for e in self.events() if e.startswith("push ")]), pushes)

    def test_post_failures(self):
        missing = os.path.join(self.work, "nope.mp4")
        p = run_script("post", {"material_list": [missing]}, self.serial)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(remarks(p), ["material file not found on this node: "
                                      + missing])
        p = run_script("post", {"material_list": []}, self.serial)
        self.assertEqual(p.returncode, 1)
        self.assertIn("materialLibrary", remarks(p)[-1])
        self.assertEqual([e for e in self.events() if e.startswith("push")],
                         [])

    def test_follow_then_unfollow(self):
        p = run_script("follow", {"target_users": ["@alice"]}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("shell %s am start -a android.intent.action.VIEW -d "
                      "https://www.tiktok.com/@alice" % self.serial,
                      self.events())
        taps = self.taps()
        self.assertEqual(len(taps), 1)
        self.assertTrue(inside(taps[0], FOLLOW_BOUNDS), taps)
        self.assertIn("@alice now shows Following", p.stdout)
        # Following already: follow fails, unfollow works once.
        p = run_script("follow", {"target_user": "alice", "ui_wait": 0},
                       self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ["no Follow button for @alice"]))
        p = run_script("unfollow", {"target_user": "alice"}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(len(self.taps()), 2)
        self.assertTrue(inside(self.taps()[1], FOLLOW_BOUNDS))
        p = run_script("unfollow", {"target_username": "alice", "ui_wait": 0},
                       self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ["no Following button for @alice"]))
        self.assertEqual(len(self.taps()), 2)

    def test_comment(self):
        url = "https://www.tiktok.com/@bob/video/7300000000000000000"
        p = run_script("comment", {"target_post_url": url,
                                   "comment_content": "great video\nnice",
                                   "comment_order": "sequential"},
                       self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        events = self.events()
        self.assertIn("shell %s input text great%%svideo" % self.serial, events)
        taps = self.taps()
        self.assertEqual(len(taps), 2, events)
        self.assertTrue(inside(taps[0], (40, 2200, 900, 2300)), taps)
        self.assertTrue(inside(taps[1], (920, 2200, 1060, 2300)), taps)
        box = events.index(taps[0])
        typed = events.index("shell %s input text great%%svideo" % self.serial)
        self.assertLess(box, typed)
        self.assertLess(typed, events.index(taps[1]))
        p = run_script("comment", {"target_post_urls": [url]}, self.serial)
        self.assertEqual((p.returncode, remarks(p)),
                         (1, ["comment_content is empty"]))

    def test_comment_as_tmx_fans_it_out(self):
        # One URL per task, every default filled in, as tmx stores it.
        urls = ["https://www.tiktok.com/@bob/video/7300000000000000001",
                "https://www.tiktok.com/@eve/video/7300000000000000002"]
        for url in urls:
            p = run_script("comment", {
                "target_post_urls": [url], "comment_content": "first\nsecond",
                "comment_order": "sequential", "insert_emoji": True,
                "comment_image_path": "/sdcard/DCIM/a.jpg"}, self.serial)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("commented on " + url, p.stdout)
            self.assertIn("insert_emoji: not done here", p.stdout)
            self.assertIn("comment_image_path: images are not attached",
                          p.stdout)
            self.assertIn("shell %s am start -a android.intent.action.VIEW "
                          "-d %s" % (self.serial, url), self.events())
        typed = [e for e in self.events() if " input text " in e]
        # Sequential over one URL each: each task types the first line.
        self.assertEqual(typed, ["shell %s input text first" % self.serial] * 2)
        self.assertEqual(len(self.taps()), 4)

    def test_account_warmup(self):
        p = run_script("account_warmup", {
            "task_duration": 1, "min_duration": 0.2, "max_duration": 0.3,
            "like_probable": 100, "generate_by_chatgpt": True,
            "chatgpt_settings": {"api_key": "sk-do-not-print"}}, self.serial)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("sk-do-not-print", p.stdout + p.stderr)
        events = self.events()
        self.assertTrue(any("monkey -p com.zhiliaoapp.musically" in e
                            for e in events), events)
        swipes = [e for e in events if "input swipe 540 1600 540 400 200" in e]
        self.assertGreaterEqual(len(swipes), 1)
        self.assertEqual(self.taps().count("tap %s 540 1200" % self.serial),
                         2 * len(swipes))

    def test_unknown_and_unauthorized_device(self):
        p = run_script("follow", {"target_user": "alice"}, "nosuch-device")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(remarks(p),
                         ["adb shell failed: device 'nosuch-device' not found"])
        self.fake.cmd("state %s unauthorized" % self.serial)
        p = run_script("account_warmup", {"task_duration": 1}, self.serial)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(remarks(p)[-1].startswith(
            "adb shell failed: device unauthorized."), remarks(p))

    def test_bad_config(self):
        env = env_for(self.fake.port, self.serial)
        p = subprocess.run([os.path.join(SCRIPTS, "follow")], input="[1",
                           env=env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(remarks(p)[0].startswith("script_config is not JSON"))
