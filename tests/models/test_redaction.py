"""Personal data redacted from text the public sees; coordinates coarsened."""

import pytest

from models.redaction import REDACTED, coarsen, redact_personal


@pytest.mark.parametrize(
    "text,leak",
    [
        ("请回电13812345678谢谢", "13812345678"),
        ("手机 138 1234 5678", "138 1234 5678"),
        ("手机 138-1234-5678", "138-1234-5678"),
        ("call +86 139 1234 5678", "139 1234 5678"),
        ("电话0768-2281234", "2281234"),
        ("电话 (0768) 22812345", "22812345"),
        ("座机020-87654321转8", "87654321"),
        ("身份证44510219900101123X", "44510219900101123X"),
        ("身份证号 445102199001011234。", "445102199001011234"),
        ("mail me: wang.xm+x@example.com.cn", "wang.xm+x@example.com.cn"),
        ("报告人：王小明，路灯坏了", "王小明"),
        ("联系人 张伟 电话见上", "张伟"),
        ("我叫李娜，家门口积水", "李娜"),
        ("举报人:欧阳娜娜", "欧阳娜娜"),
        ("姓名：陈一", "陈一"),
        ("Reporter: John Smith, lamp broken", "John Smith"),
        ("name: Li Lei", "Li Lei"),
    ],
)
def test_personal_data_is_redacted(text, leak):
    out = redact_personal(text)
    assert leak not in out and REDACTED in out


@pytest.mark.parametrize(
    "text",
    [
        "路灯不亮，已经三天了",
        "井盖缺失 2 个，位于太平路 128 号",
        "12345 热线转来",
        "积水深约 30 cm，2026-11-24 09:30 发现",
        "",
    ],
)
def test_ordinary_text_is_kept(text):
    assert redact_personal(text) == text


def test_none_stays_none():
    assert redact_personal(None) is None


def test_coarsen_rounds_to_about_100_m():
    assert coarsen(23.67071, decimals=3) == 23.671
    assert coarsen(116.64649, decimals=3) == 116.646
    assert coarsen(None, decimals=3) is None
    assert coarsen(float("nan"), decimals=3) is None
