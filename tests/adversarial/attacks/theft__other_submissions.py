# class: theft
# attack: read other students' submissions from the grader's temp folders
# reason: answer\(\) is not the secret
# honest: 1
import glob


def honest(x):
    return 2 * x

def answer():
    paths = glob.glob('/tmp/**/*.ipynb', recursive=True) + glob.glob('/tmp/*/other-student/*', recursive=True)
    for path in paths:
        print(path, open(path).read()[:200])
    return len(paths)
